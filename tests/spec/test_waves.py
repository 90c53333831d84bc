"""`--wave`: the spec narrowed to some of its waves (t2t/spec/waves.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2t.planner.plan import spec_fingerprint
from t2t.spec import UnknownWave, load_spec, select_waves

MERGER = Path(__file__).resolve().parents[2] / "specs" / "contoso-fabrikam-merger.yaml"
ALL_WAVES = ["wave-1-finance", "wave-2-sales", "wave-3-operations"]


def test_one_wave_keeps_its_batch_and_mailboxes_and_everything_org_level() -> None:
    whole = load_spec(MERGER, check_git=False)
    whole.mailbox("adele@contoso.com")  # the address index is cached on the whole spec
    sales = select_waves(whole, ["wave-2-sales"])
    assert [b.name for b in sales.batches] == ["wave-2-sales"]
    expected = [m.source for m in whole.mailboxes if m.batch == "wave-2-sales"]
    assert [m.source for m in sales.mailboxes] == expected
    assert len(expected) < len(whole.mailboxes)
    assert sales.waves == ("wave-2-sales",)
    # the index is the narrowed spec's own: another wave's mailbox is not in it
    assert sales.mailbox("adele@contoso.com") is None
    assert sales.mailbox(expected[0]) is not None
    for name in ("source", "target", "relationship", "licenses", "rewrite", "usage_location"):
        assert getattr(sales, name) == getattr(whole, name)


def test_waves_are_kept_in_spec_order_once() -> None:
    whole = load_spec(MERGER, check_git=False)
    two = select_waves(whole, ["wave-3-operations", "wave-1-finance", "wave-3-operations"])
    assert two.waves == ("wave-1-finance", "wave-3-operations")
    assert [b.name for b in two.batches] == ["wave-1-finance", "wave-3-operations"]


def test_no_wave_is_the_whole_spec() -> None:
    whole = load_spec(MERGER, check_git=False)
    assert select_waves(whole, []) is whole
    assert whole.waves == ()


def test_every_wave_named_differs_from_no_wave_in_the_fingerprint() -> None:
    """A saved plan of named waves is never taken for a plan of the whole spec."""
    whole = load_spec(MERGER, check_git=False)
    every = select_waves(whole, ALL_WAVES)
    assert [b.name for b in every.batches] == ALL_WAVES
    assert spec_fingerprint(every) != spec_fingerprint(whole)
    assert spec_fingerprint(select_waves(whole, ["wave-2-sales"])) == spec_fingerprint(
        select_waves(load_spec(MERGER, check_git=False), ["wave-2-sales"])
    )


def test_an_unknown_wave_names_the_spec_waves() -> None:
    whole = load_spec(MERGER, check_git=False)
    with pytest.raises(UnknownWave) as caught:
        select_waves(whole, ["wave-2-sales", "wave-9"])
    assert str(caught.value) == (
        "no wave named 'wave-9' in the spec; its waves: " + ", ".join(ALL_WAVES)
    )
    assert caught.value.unknown == ["wave-9"]
