"""One wave at a time (`--wave NAME`, repeatable): the spec narrowed to some of its batches.

Narrowing happens once, on the resolved spec, so everything after it — probes, planner,
renderers, status — sees only those waves' batches and mailboxes and cannot touch the others.
What the spec declares beside its waves (tenants, relationship, app, endpoint, scope groups,
licences) is kept whole: the organization-level steps a wave needs stay in its plan. A
mailbox declared in no batch belongs to no wave and is left out, like the other waves' ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from t2t.spec.desired import Desired


class UnknownWave(ValueError):
    """A `--wave` name the spec does not declare; the message lists the spec's waves."""

    def __init__(self, unknown: list[str], known: list[str]) -> None:
        self.unknown = unknown
        self.known = known
        shown = ", ".join(known) if known else "none (the spec declares no batches)"
        names = ", ".join(repr(n) for n in unknown)
        super().__init__(f"no wave named {names} in the spec; its waves: {shown}")


def select_waves(desired: Desired, names: Iterable[str]) -> Desired:
    """The spec limited to the waves `names` (exact batch names, as `--wave` gives them);
    no names: the spec as it is. Raises `UnknownWave` for a name the spec does not declare."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return desired
    known = [b.name for b in desired.batches]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise UnknownWave(unknown, known)
    keep = set(wanted)
    fields = {name: getattr(desired, name) for name in Desired.model_fields}
    # A new model, not model_copy: that would carry the address index cached on `desired`.
    return Desired(
        **{
            **fields,
            "batches": tuple(b for b in desired.batches if b.name in keep),
            "mailboxes": tuple(m for m in desired.mailboxes if m.batch in keep),
            "waves": tuple(n for n in known if n in keep),
        }
    )
