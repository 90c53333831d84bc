"""The registries hold together: every action kind a domain can emit has exactly one domain,
one executor and a permission manifest entry; every part is read by some domain's needs."""

from __future__ import annotations

from collections import Counter

from t2t.apply.executors import EXECUTORS
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
