"""A large saved plan is written gzip-compressed (issue 14: a 20,000-mailbox plan was 124.6 MB of
JSON): the same sealed JSON inside, read back whole and checked as a plain one is; a compressed
file changed, cut short, followed by other bytes or inflating past the limit is refused,
naming the file. A small plan stays plain JSON (tests/apply/test_saved_plan_file.py)."""

from __future__ import annotations

import gzip
import os
import tracemalloc
import zlib
from pathlib import Path

import pytest

from t2t.apply import saved as saved_module
from t2t.apply.saved import (
    COMPRESS_OVER,
    SavedPlanError,
    load_saved_plan,
    looks_like_saved_plan,
    save_plan,
    staleness,
)
from t2t.planner import Plan
from tests.apply.saved_files import ORIGIN, reseal
from tests.apply.scratch import scratch_action, scratch_plan
from tests.render.large_plan import large_plan

N = 1_000


@pytest.fixture(scope="module")
def plan() -> Plan:
    return large_plan(N)


@pytest.fixture
def saved(tmp_path: Path, plan: Plan) -> Path:
    path = tmp_path / "plan.json"
    save_plan(plan, path, ORIGIN)
    return path


def _refused(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    with pytest.raises(SavedPlanError) as caught:
        load_saved_plan(path)
    assert str(caught.value).startswith(f"{path}: ")
    return str(caught.value)[len(f"{path}: ") :]


def test_a_large_plan_is_the_sealed_json_compressed_and_loads_back_equal(
    saved: Path, plan: Plan
) -> None:
    data = saved.read_bytes()
    inner = gzip.decompress(data)
    assert len(inner) > COMPRESS_OVER and inner.startswith(b'{"kind": "t2t-saved-plan/3", ')
    assert reseal(inner) == inner  # sealed by the documented recipe, as a plain one is
    assert len(data) / N < 400, f"{len(data) / N:.0f} bytes a mailbox"
    loaded = load_saved_plan(saved)
    # As JSON: the planner's tuples inside `desired` come back as lists, as from a plain file;
    # the spec's path is written relative to the plan's folder.
    beside = os.path.relpath(plan.spec_path, saved.parent)
    assert loaded.plan.model_dump(mode="json") == {
        **plan.model_dump(mode="json"),
        "spec_path": beside,
    }
    assert staleness(loaded.plan, plan) == []
    save_plan(plan, saved.with_name("again.json"), ORIGIN)  # the same plan, the same bytes
    assert saved.with_name("again.json").read_bytes() == data


def test_a_compressed_plan_is_recognised_under_any_name(saved: Path) -> None:
    renamed = saved.rename(saved.with_name("reviewed-plan"))
    assert looks_like_saved_plan(renamed)
    assert load_saved_plan(renamed).plan.spec_name == "contoso-to-fabrikam"


@pytest.mark.parametrize("keep", [2, 10, 1000, -9, -4, -1])
def test_a_compressed_plan_cut_short_is_refused(saved: Path, keep: int) -> None:
    message = _refused(saved, saved.read_bytes()[:keep])
    assert message.startswith("the compressed plan is damaged: the file was changed or cut short")
    assert message.endswith("make the plan again with `t2t plan --out`")


def test_a_changed_byte_in_a_compressed_plan_is_refused(saved: Path) -> None:
    data = saved.read_bytes()
    for at in (20, len(data) // 2, len(data) - 6):  # deflate data, then gzip's CRC-32 and size
        changed = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
        message = _refused(saved, changed)
        assert message.startswith(("the compressed plan is damaged", "the content does not")), at


def test_bytes_after_the_compressed_plan_are_refused(saved: Path) -> None:
    message = _refused(saved, saved.read_bytes() + b"\n")
    assert message.startswith("the compressed plan is damaged")


def test_a_changed_plan_compressed_again_still_fails_its_checksum(saved: Path) -> None:
    inner = gzip.decompress(saved.read_bytes()).replace(b"user00007", b"mallory07", 1)
    message = _refused(saved, gzip.compress(inner))
    assert message.startswith("the content does not match its checksum")


def test_a_compressed_file_that_inflates_past_the_limit_is_refused(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few kilobytes that inflate to more than the saved-plan limit (here lowered to 1 MiB,
    the limit's own value being 1 GiB) stop at the limit instead of filling the memory."""
    monkeypatch.setattr(saved_module, "SAVED_PLAN_MAX_BYTES", 1024 * 1024)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = deflate.compress(b" " * (8 * 1024 * 1024)) + deflate.flush()
    assert len(bomb) < 16 * 1024
    assert _refused(saved, bomb) == (
        "over 1 MiB once uncompressed; make the plan again with `t2t plan --out`"
    )


def test_a_plan_of_exactly_the_bound_stays_plain_one_byte_more_is_compressed(
    tmp_path: Path,
) -> None:
    """ "Over COMPRESS_OVER": the plan's JSON (what follows `"plan": ` before the closing
    brace) padded to the bound is plain, a byte longer compressed."""
    path = tmp_path / "plan.json"

    def body(pad: int) -> bytes:
        action = scratch_action("target:test.pad:p").model_copy(
            update={"parameters": {"Pad": "x" * pad}}
        )
        save_plan(scratch_plan(action), path, ORIGIN)
        data = path.read_bytes()
        return data if data.startswith(b"\x1f\x8b") else data[data.index(b'"plan": ') + 8 : -2]

    short = len(body(0))
    assert len(body(COMPRESS_OVER - short)) == COMPRESS_OVER
    assert body(COMPRESS_OVER - short + 1).startswith(b"\x1f\x8b")
    assert load_saved_plan(path).plan.actions[0].parameters["Pad"] == "x" * (
        COMPRESS_OVER - short + 1
    )


def test_inflating_stops_at_the_limit_in_memory_too(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound is on what is inflated, not only on what is kept: 64 MiB of spaces behind a
    limit of 1 MiB never take more than a few MiB of memory."""
    monkeypatch.setattr(saved_module, "SAVED_PLAN_MAX_BYTES", 1024 * 1024)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = deflate.compress(b" " * (64 * 1024 * 1024)) + deflate.flush()
    saved.write_bytes(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(SavedPlanError, match="over 1 MiB once uncompressed"):
            load_saved_plan(saved)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"{peak:,} bytes"


def test_a_compressed_file_of_exactly_the_limit_is_not_refused_for_its_size(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file "over" the limit is refused; exactly the limit is read on (here it then fails for what
    it holds: no plan, only spaces)."""
    monkeypatch.setattr(saved_module, "SAVED_PLAN_MAX_BYTES", 1024 * 1024)
    message = _refused(saved, gzip.compress(b" " * (1024 * 1024)))
    assert message.startswith("not a t2t saved plan"), message
