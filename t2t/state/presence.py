"""Tri-state knowledge of an object: present, absent, or unknown because the read failed.

Microsoft365DSC turns a failed read into "absent" and then plans a write on top of it
(lessons-from-peers.md §1). t2t keeps the three apart so that blindness never looks like drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Fact(Generic[T]):
    """What a probe learnt: a value, that nothing is there, or why it could not look."""

    status: Literal["present", "absent", "unknown"]
    value: T | None = None
    reason: str | None = None

    @classmethod
    def present(cls, value: T) -> Fact[T]:
        return cls("present", value=value)

    @classmethod
    def absent(cls) -> Fact[T]:
        return cls("absent")

    @classmethod
    def unknown(cls, reason: str) -> Fact[T]:
        return cls("unknown", reason=reason)

    @property
    def known(self) -> bool:
        return self.status != "unknown"

    def get(self) -> T:
        """The value of a present fact; anything else is a programming error."""
        if self.status != "present" or self.value is None:
            raise ValueError(f"fact is {self.status}, not present")
        return self.value
