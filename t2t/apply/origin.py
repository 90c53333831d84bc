"""Where a plan was made: one of Microsoft's clouds (by the endpoints t2t used) or a sandbox
(by its state folder).

A saved plan records it and `t2t apply` refuses, before anything is sent, a plan made against
another service. The fresh re-read at apply does not catch that on its own: a sandbox seeded
with the real tenants' ids and objects plans exactly what the cloud would, so a rehearsal's
plan, reviewed as a rehearsal, would otherwise run in production — and a plan of one sandbox
folder would run in another one made from the same seed.

A sandbox is known by its state folder (absolute): its address is not kept, for the sandbox
takes a free port at each start (``SandboxServer(port=0)``), while its folder keeps its CA,
secrets and state across restarts. No secret is recorded: neither the profile's client secrets
nor the CA's key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from t2t.clients import HostSet
from t2t.spec.limits import PATH_SHOWN_CHARS, clip


class CloudOrigin(BaseModel):
    """One of Microsoft's clouds: its name in t2t (t2t/clients/hosts.py) and the endpoints
    t2t reached it at."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["cloud"] = "cloud"
    cloud: str
    login: str
    graph: str
    exchange: str
    arm: str


class SandboxOrigin(BaseModel):
    """A `t2t sandbox` by its state folder, an absolute path."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["sandbox"] = "sandbox"
    state_dir: str


Origin = Annotated[CloudOrigin | SandboxOrigin, Field(discriminator="kind")]


def cloud_origin(hosts: HostSet) -> CloudOrigin:
    return CloudOrigin(
        cloud=hosts.name,
        login=hosts.login,
        graph=hosts.graph,
        exchange=hosts.exchange,
        arm=hosts.arm,
    )


def sandbox_origin(state_dir: Path) -> SandboxOrigin:
    """The sandbox in ``state_dir``, made absolute with its links resolved (as
    `t2t --sandbox DIR` connects to it)."""
    return SandboxOrigin(state_dir=str(state_dir.resolve()))


def describe(origin: CloudOrigin | SandboxOrigin) -> str:
    if isinstance(origin, SandboxOrigin):
        return f"the sandbox in {clip(origin.state_dir, PATH_SHOWN_CHARS)}"
    return f"Microsoft's {clip(origin.cloud)} cloud ({clip(origin.login)})"


def _how_to_reach(origin: CloudOrigin | SandboxOrigin) -> str:
    if isinstance(origin, SandboxOrigin):
        return f"--sandbox {clip(origin.state_dir, PATH_SHOWN_CHARS)}"
    return "without --sandbox or T2T_SANDBOX"


def mismatch(made: CloudOrigin | SandboxOrigin, here: CloudOrigin | SandboxOrigin) -> str | None:
    """Why a plan made against ``made`` may not run ``here``, in one sentence; None when both
    are the same service."""
    if made == here:
        return None
    return (
        f"the plan was made against {describe(made)}, this apply runs against {describe(here)};"
        f" apply it there ({_how_to_reach(made)}), or make the plan here with `t2t plan --out`"
    )
