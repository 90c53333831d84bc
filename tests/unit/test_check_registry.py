"""The check catalogue's registration and the scoped check functions: a code is defined once,
carries its scope, and a check function's finding says what its definition says."""

from __future__ import annotations

import pytest

from t2t.planner import checks as C


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scratch catalogue: what a test registers does not reach the real one."""
    monkeypatch.setattr(C, "CATALOGUE", dict(C.CATALOGUE))
    monkeypatch.setattr(C, "SCOPED", {})


def definition(code: str = "T2T-E999", prevents: str | dict[str, str] = "it fails") -> C.CheckDef:
    return C.CheckDef(code, "test-check", "error", "A title", prevents, "Fix it.", "a source")


@pytest.mark.usefixtures("registry")
def test_a_code_is_defined_once_and_carries_its_scope() -> None:
    C.register(definition(), scope="batch")
    assert C.CATALOGUE["T2T-E999"].scope == "batch"
    C.register(definition(), scope="batch")  # the same definition again: harmless
    with pytest.raises(ValueError, match="T2T-E999 defined twice"):
        C.register(definition(prevents="something else"), scope="batch")
    with pytest.raises(ValueError, match="T2T-E999 defined twice"):
        C.register(definition(), scope="mailbox")


@pytest.mark.usefixtures("registry")
def test_a_finding_takes_severity_fix_and_the_tenants_prevents_from_its_definition() -> None:
    C.register(
        definition(prevents={"source": "source text", "target": "target text"}),
        scope="relationship",
    )
    f = C.finding("T2T-E999", "target", "obj", "detail", fixed_by_plan=False)
    assert (f.code, f.severity, f.tenant, f.object, f.message, f.fix, f.prevents) == (
        "T2T-E999",
        "error",
        "target",
        "obj",
        "detail",
        "Fix it.",
        "target text",
    )
    assert f.blocking
    other = C.finding("T2T-E999", "both", "obj", "detail", fixed_by_plan=True)
    assert other.prevents == "source text; target text"
    assert not other.blocking  # the plan fixes it
    with pytest.raises(KeyError):
        C.finding("T2T-E998", "target", "obj", "detail", fixed_by_plan=False)


@pytest.mark.usefixtures("registry")
def test_check_functions_run_by_scope_in_registration_order() -> None:
    @C.check(definition("T2T-E997"), scope="batch", tenant="target")
    def first(subject: int) -> str | None:
        return f"first saw {subject}" if subject > 1 else None

    @C.check(
        C.CheckDef("T2T-W996", "test-warning", "warning", "T", "p", "f", "s"),
        scope="batch",
        tenant="source",
    )
    def second(subject: int) -> str | None:
        return f"second saw {subject}"

    assert first(2) == "first saw 2"  # the decorator hands the function back unchanged
    assert C.CATALOGUE["T2T-E997"].scope == "batch"
    found = C.run_checks("batch", 2, "wave-1")
    assert [
        (f.code, f.tenant, f.object, f.message, f.fixed_by_plan, f.blocking) for f in found
    ] == [
        ("T2T-E997", "target", "wave-1", "first saw 2", False, True),
        ("T2T-W996", "source", "wave-1", "second saw 2", False, False),
    ]
    assert [f.code for f in C.run_checks("batch", 1, "wave-1")] == ["T2T-W996"]
    assert C.run_checks("organization", 2, "x") == []


@pytest.mark.usefixtures("registry")
def test_a_check_without_a_tenant_names_the_tenant_it_is_run_for() -> None:
    @C.check(definition("T2T-E995"), scope="organization")
    def either(subject: str) -> str | None:
        return f"seen in {subject}"

    found = C.run_checks("organization", "contoso", "Exchange RBAC", tenant="source")
    assert [(f.code, f.tenant, f.object, f.message) for f in found] == [
        ("T2T-E995", "source", "Exchange RBAC", "seen in contoso")
    ]
    with pytest.raises(ValueError, match="T2T-E995: run_checks needs the subject's tenant"):
        C.run_checks("organization", "contoso", "Exchange RBAC")
