"""The registries hold together: every action kind a domain can emit has exactly one domain,
one executor and a permission manifest entry; every part is read by some domain's needs."""

from __future__ import annotations

from collections import Counter

import pytest

from t2t.apply.context import ApplyContext
from t2t.apply.executors import EXECUTORS
from t2t.apply.executors.registry import check_complete, executes
from t2t.apply.result import ActionResult
from t2t.planner import Action
from t2t.planner import kinds as K
from t2t.planner.plan import DOMAINS, SOURCE_NEEDS, TARGET_NEEDS
from t2t.probes.registry import READERS
from t2t.state import parts as P


def test_every_kind_is_emitted_by_one_domain_and_has_an_executor() -> None:
    emitted = Counter(k for d in DOMAINS for k in d.emits)
    assert set(emitted) == set(K.KINDS)
    assert [k.name for k, n in emitted.items() if n != 1] == []
    assert sorted(EXECUTORS) == sorted(k.name for k in K.KINDS)


def test_every_kind_but_waiting_for_a_person_needs_a_permission() -> None:
    assert [k.name for k in K.KINDS if not k.permissions] == ["consent.await"]
    assert {k.service for k in K.KINDS} == {"exchange", "graph", "azure"}
    exchange_writes = [k for k in K.KINDS if k.service == "exchange"]
    from t2t.state.permissions import EXCHANGE_WRITE

    assert [k.name for k in exchange_writes if not set(EXCHANGE_WRITE) <= set(k.permissions)] == []


def test_every_part_has_a_reader_and_is_needed_where_it_is_read() -> None:
    assert set(READERS) == set(P.PARTS)
    assert P.read_from("source") == SOURCE_NEEDS
    assert P.read_from("target") == TARGET_NEEDS


def test_apply_manifest_is_the_union_of_the_kinds() -> None:
    needed = K.needed_to_apply({"orgrel.create", "license.assign"})
    assert [str(p) for p in needed] == [
        "Exchange application permission Exchange.ManageAsApp",
        "Exchange role group 'Organization Management'",
        "Graph application permission User.ReadWrite.All",
    ]


async def _nothing(action: Action, ctx: ApplyContext) -> ActionResult:
    return ActionResult(id=action.id, status="noop")


def test_a_second_executor_of_a_kind_fails_at_import_and_the_first_stays() -> None:
    first = EXECUTORS[K.ORGREL_CREATE.name]
    with pytest.raises(ImportError) as raised:
        executes(K.ORGREL_CREATE)(_nothing)
    assert str(raised.value) == (
        f"action kind orgrel.create has two executors: {first.__qualname__} and _nothing"
    )
    assert EXECUTORS[K.ORGREL_CREATE.name] is first


def test_a_new_kind_is_registered_under_its_name_and_the_function_kept() -> None:
    kind = K.ActionKind("test.registered", "graph", "safe", ())
    try:
        assert executes(kind)(_nothing) is _nothing
        assert EXECUTORS["test.registered"] is _nothing
    finally:
        EXECUTORS.pop("test.registered", None)


def test_a_kind_without_an_executor_fails_the_completeness_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_complete()  # the real table is complete
    monkeypatch.delitem(EXECUTORS, K.ORGREL_CREATE.name)
    monkeypatch.delitem(EXECUTORS, K.CONSENT_AWAIT.name)
    with pytest.raises(ImportError) as raised:
        check_complete()
    assert str(raised.value) == (
        "action kinds without an executor: ['orgrel.create', 'consent.await']"
    )
