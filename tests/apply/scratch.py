"""Plans of scratch actions for the runner's own tests: the runner is driven with executors the
tests register for kinds of their own (`test.*`), so what it does is all that is measured."""

from __future__ import annotations

from t2t.planner import Action, Plan


def scratch_action(
    id_: str, kind: str = "test.xo", depends_on: tuple[str, ...] = (), tenant: str = "target"
) -> Action:
    """An action of a scratch kind; its id is its key."""
    return Action(
        id=id_,
        tenant=tenant,  # type: ignore[arg-type]
        kind=kind,
        key=id_,
        operation="run",
        cmdlet="Test-Nothing",
        parameters={},
        fingerprint="x",
        depends_on=depends_on,
    )


def scratch_plan(*actions: Action) -> Plan:
    return Plan(
        spec_name="t",
        spec_path="t.yaml",
        source_tenant="s",
        target_tenant="t",
        actions=actions,
        findings=(),
        unknowns=(),
    )
