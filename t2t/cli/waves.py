"""`--wave NAME` (repeatable) on plan, apply and status: one wave at a time.

The spec is narrowed right after it is loaded (t2t/spec/waves.py), so the probes read, the
planner plans and status reports only those waves and the organization-level steps they need.
A name the spec does not declare is a usage error (exit 64) that lists the spec's waves.
A saved plan records its waves (`Plan.waves`); `apply PLAN.json` applies exactly those.
"""

from __future__ import annotations

from typing import Annotated

import typer

from t2t.spec import Desired, UnknownWave, select_waves

WaveOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--wave",
        metavar="NAME",
        help="Only this wave (a spec batch's name) and the organization-level steps it needs; "
        "repeat for several. Other waves are neither read per mailbox nor touched.",
    ),
]


def narrow(desired: Desired, waves: list[str] | None) -> Desired:
    """The spec limited to `waves` (all of it without any); an unknown name is a usage error
    naming the spec's waves (click's BadParameter: t2t/cli/app.py `main` exits 64)."""
    try:
        return select_waves(desired, waves or ())
    except UnknownWave as exc:
        raise typer.BadParameter(str(exc), param_hint="'--wave'") from None


def check_saved_waves(saved: tuple[str, ...], given: list[str] | None) -> None:
    """`apply PLAN.json` applies the waves the plan was made for: a `--wave` naming others is
    a usage error rather than a silently different apply."""
    if given and sorted(set(given)) != sorted(saved):
        shown = ", ".join(saved) if saved else "every wave"
        raise typer.BadParameter(
            f"the saved plan covers {shown}; apply it as it is (without --wave) or make a "
            "new plan with the waves you want",
            param_hint="'--wave'",
        )
