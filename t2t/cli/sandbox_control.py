"""`t2t sandbox clock|reset|status|generate|approve`: the running sandbox's control API without
curl (`approve` stands in for Microsoft's device-code verification page).

Each command but `generate` talks to the sandbox whose state lives in `--state DIR` (or
T2T_SANDBOX): its profile.json gives the address and the CA (the sandbox is trusted by its
own CA alone, through no proxy: t2t/clients/trust.py), and the command calls the sandbox-only
endpoints `/_sandbox/...` (t2t/sandbox/control.py). Nothing is started here: a sandbox started
for one command would forget its clock and counters the moment the command ended, so a sandbox
that is not running is an error saying how to start it. `generate` writes a seed, for
`t2t sandbox serve --seed`, and needs no sandbox. (app.py imports this module last: it uses
app.py's `fail`.)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml

from t2t.cli import output
from t2t.cli.app import fail
from t2t.cli.session import SetupError, sandbox_target

StateOpt = Annotated[
    Path,
    typer.Option(
        "--state",
        envvar="T2T_SANDBOX",
        metavar="DIR",
        help="The running sandbox's state directory (t2t sandbox serve --state DIR).",
    ),
]


class Sandbox:
    """The control API of the sandbox whose state is in `state`."""

    def __init__(self, state: Path) -> None:
        self.state = state
        target = sandbox_target(state.resolve())  # SetupError when there is no profile
        self.profile: dict[str, Any] = target.profile or {}
        self.base = str(self.profile.get("baseUrl", "")).rstrip("/")
        self._options = target.hosts.trust.httpx_options()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One control request; its JSON answer (None for 204). SetupError when no sandbox
        answers there, or when it refuses (with its own reason)."""
        try:
            response = httpx.request(
                method, self.base + path, json=body, timeout=30, **self._options
            )
        except httpx.HTTPError as exc:
            raise SetupError(
                f"no sandbox answers at {self.base or '?'} (state {self.state}): {exc}; "
                f"start it with: t2t sandbox serve --state {self.state}"
            ) from None
        if response.status_code >= 400:
            try:
                reason = response.json().get("error") or response.text
            except ValueError:
                reason = response.text
            raise SetupError(f"the sandbox refused {method} {path}: {reason}")
        return response.json() if response.content else None


def _open(state: Path) -> Sandbox:
    try:
        return Sandbox(state)
    except SetupError as exc:
        raise fail(str(exc)) from None


def _when(value: str | None) -> dt.datetime | None:
    """`--set`'s value as an aware UTC time; a naive one is taken as UTC."""
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 time (e.g. 2026-12-05T22:00:00Z)", param_hint="--set"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def clock_line(clock: dict[str, Any]) -> str:
    offset = float(clock.get("offsetSeconds") or 0)
    ahead = f"{offset:,.0f} s ahead of real time" if offset else "real time"
    return f"{clock.get('now')} ({ahead})"


def sandbox_clock(
    state: StateOpt,
    advance: Annotated[
        float | None,
        typer.Option(
            "--advance",
            min=0,
            metavar="SECONDS",
            help="Move the clock forward this much (batches progress meanwhile).",
        ),
    ] = None,
    set_to: Annotated[
        str | None,
        typer.Option("--set", metavar="ISO", help="Move the clock forward to this UTC time."),
    ] = None,
) -> None:
    """Show the sandbox's clock, or move it forward (never back).

    The move service, fault budgets and replication lag run on this clock."""
    if advance is not None and set_to is not None:
        raise typer.BadParameter("give --advance or --set, not both", param_hint="--set")
    when = _when(set_to)
    sandbox = _open(state)
    try:
        if advance is not None:
            clock = sandbox.call("POST", "/_sandbox/clock", {"advanceSeconds": advance})
        elif when is not None:
            iso = when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
            clock = sandbox.call("POST", "/_sandbox/clock", {"now": iso})
        else:
            clock = sandbox.call("GET", "/_sandbox/clock")
    except SetupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"sandbox clock: {clock_line(clock)}")


def sandbox_reset(state: StateOpt) -> None:
    """Put the sandbox back to its seed, clock and counters.

    Tenants, counters, fault rules, budgets, request logs and clock return to their start;
    its CA, secrets and keys are kept."""
    sandbox = _open(state)
    try:
        sandbox.call("POST", "/_sandbox/reset")
    except SetupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"sandbox reset: {sandbox.base} is back to its seed, clock and counters")


def _counts(counts: dict[str, Any], most: int = 0) -> str:
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    shown = ordered[:most] if most else ordered
    text = ", ".join(f"{name} {count:,}" for name, count in shown)
    return text + (f", … {len(ordered) - most} more" if most and len(ordered) > most else "")


def _rule(rule: dict[str, Any]) -> str:
    match = " ".join(f"{k}={v}" for k, v in (rule.get("match") or {}).items() if v is not None)
    left = f" of {rule['count']}" if rule.get("count") is not None else ""
    fired = f"fired {rule.get('fired', 0)}{left}"
    return f"#{rule.get('id')} {rule.get('kind')} {match or 'every request'} ({fired})"


def status_text(sandbox: Sandbox, clock: dict[str, Any], stats: Any, faults: Any) -> str:
    profile = sandbox.profile
    lines = [
        f"sandbox {sandbox.base} (state {sandbox.state}, pid {profile.get('pid', '?')}, "
        f"{profile.get('strictness', 'strict')})",
        f"  clock     {clock_line(clock)}",
        f"  requests  {stats.get('total', 0):,}: {stats.get('reads', 0):,} reads, "
        f"{stats.get('writes', 0):,} writes",
    ]
    if stats.get("byService"):
        lines.append(f"  services  {_counts(stats['byService'])}")
    if stats.get("byTenant"):
        lines.append(f"  tenants   {_counts(stats['byTenant'])}")
    if stats.get("byCmdlet"):
        lines.append(f"  cmdlets   {_counts(stats['byCmdlet'], most=8)}")
    if stats.get("byOperation"):
        lines.append(f"  graph     {_counts(stats['byOperation'], most=8)}")
    rules, held = faults.get("rules") or [], faults.get("held") or []
    hidden = int(faults.get("hiddenObjects") or 0)
    if not (rules or held or hidden):
        lines.append("  faults    none")
    else:
        lines.append(
            f"  faults    {len(rules)} rule{'s' * (len(rules) != 1)}, {len(held)} request"
            f"{'s' * (len(held) != 1)} held, {hidden} object{'s' * (hidden != 1)} hidden"
        )
        lines += [f"    {_rule(r)}" for r in rules]
    return "\n".join(lines) + "\n"


def sandbox_status(
    state: StateOpt,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON document: clock, stats and faults.")
    ] = False,
) -> None:
    """The running sandbox at a glance: clock, request counters, faults.

    The requests it has counted (reads and writes, by service, tenant, cmdlet and Graph
    operation) and the fault rules in force."""
    sandbox = _open(state)
    try:
        clock = sandbox.call("GET", "/_sandbox/clock")
        stats = sandbox.call("GET", "/_sandbox/stats")
        faults = sandbox.call("GET", "/_sandbox/faults")
    except SetupError as exc:
        raise fail(str(exc)) from None
    if as_json:
        document = {"baseUrl": sandbox.base, "clock": clock, "stats": stats, "faults": faults}
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
    else:
        output.echo(status_text(sandbox, clock, stats, faults), nl=False)


def sandbox_generate(
    mailboxes: Annotated[int, typer.Argument(min=0, help="How many extra Contoso mailboxes.")],
    target_mail_users: Annotated[
        bool,
        typer.Option(
            "--target-mail-users", help="Also that many Fabrikam mail users (both tenants big)."
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write here, not to stdout.")
    ] = None,
) -> None:
    """Write a seed: the default one plus N ordinary mailboxes.

    Deterministic (the same N, the same seed), for `t2t sandbox serve --seed FILE` and
    benchmarks; what `python -m t2t.sandbox.generate N` writes."""
    from t2t.sandbox.generate import generate_seed_data

    data = generate_seed_data(mailboxes, target_mail_users=target_mail_users)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote a seed with {mailboxes:,} extra mailboxes to {out}", err=True)


def sandbox_approve(
    state: StateOpt,
    code: Annotated[str, typer.Argument(help="The code t2t showed (enter the code … ).")],
    user: Annotated[
        str, typer.Option("--user", metavar="UPN", help="Sign in as this user of the tenant.")
    ],
    decline: Annotated[
        bool, typer.Option("--decline", help="Decline the sign-in instead of approving it.")
    ] = False,
) -> None:
    """Approve (or decline) a device-code sign-in as a sandbox user.

    What a person does at Microsoft's verification page: the waiting `t2t` run then gets
    delegated tokens for that user (or stops: declined)."""
    sandbox = _open(state)
    try:
        answer = sandbox.call(
            "POST", "/_sandbox/devicelogin", {"userCode": code, "user": user, "decline": decline}
        )
    except SetupError as exc:
        raise fail(str(exc)) from None
    verb = "declined" if answer.get("state") == "declined" else "approved"
    typer.echo(
        f"{verb} {answer.get('userCode')} as {answer.get('user')} for {answer.get('client')} "
        f"in tenant {answer.get('tenantId')}"
    )


def add_control_commands(sandbox_app: typer.Typer) -> None:
    """Register clock, reset, status, generate and approve under `t2t sandbox`."""
    sandbox_app.command("approve")(sandbox_approve)
    sandbox_app.command("clock")(sandbox_clock)
    sandbox_app.command("reset")(sandbox_reset)
    sandbox_app.command("status")(sandbox_status)
    sandbox_app.command("generate")(sandbox_generate)
