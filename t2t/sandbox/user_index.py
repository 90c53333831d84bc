"""A tenant's users by key, kept current as the state changes (sandbox-only, issue 14).

Why: Exchange resolves ``-Identity`` by a dozen names and Graph ``/users/{id}`` by id or UPN;
scanning 50,000 users for each of them made one Set-MailUser cost 350 ms. A `UserIndex` maps
each key its key function gives a user to that user. The tenant (model.Tenant, a change
observer in tracking.py) tells its indexes which user changed whenever anything beneath it
does — a field, its recipient, one proxy address — and an index re-keys the users it was told
of before its next answer: a write costs O(its keys), not O(users). Appending or inserting a
user re-keys that user; any other change to the user list (a removal, a replacement, a sort),
or to a field of the tenant the key function reads (``tenant_fields``), drops the index,
rebuilt whole on its next use. Nothing
is stored: after a restart each index is built on first use from the state the journal
rebuilt.

The index narrows, the caller's predicate decides: a key function must give every key its
caller's predicate could accept for the user (callers re-check each candidate), so a lookup
answers exactly what the scan it replaces answered, first match first in the users' order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from t2t.sandbox.tracking import LOCK, position

T = TypeVar("T")


class UserIndex(Generic[T]):
    """Items of one list (a tenant's users) by the keys ``keys`` gives each."""

    def __init__(
        self, keys: Callable[[T], Iterable[str]], tenant_fields: frozenset[str] = frozenset()
    ) -> None:
        self._keys = keys
        self.tenant_fields = tenant_fields
        """Fields of the tenant ``keys`` reads besides the user's (a change to one rebuilds)."""
        self._by_key: dict[str, dict[int, T]] = {}
        self._keys_of: dict[int, tuple[str, ...]] = {}
        self._changed: dict[int, T] = {}
        self._stale = True

    def __deepcopy__(self, memo: dict[int, Any]) -> UserIndex[T]:
        """A copied tenant builds its own index (this one's items are not the copy's)."""
        return UserIndex(self._keys, self.tenant_fields)

    def changed(self, item: T) -> None:
        """``item`` (in the list, or just added to it) changed: re-key it before answering."""
        if not self._stale:
            self._changed[id(item)] = item

    def drop(self) -> None:
        """The list changed in a way not told item by item: rebuild on next use."""
        self._stale = True
        self._changed.clear()

    def lookup(self, items: Sequence[T], key: str) -> list[T]:
        """The items of ``items`` (the list this index is of) that ``key`` names, in their
        order there."""
        with LOCK:
            self._refresh(items)
            found = list(self._by_key.get(key, {}).values())
        if len(found) > 1:
            found.sort(key=_position)
        return found

    def count(self, items: Sequence[T], key: str) -> int:
        """How many items ``key`` names (exact when the key function is the predicate)."""
        with LOCK:
            self._refresh(items)
            return len(self._by_key.get(key, ()))

    def _refresh(self, items: Sequence[T]) -> None:
        if self._stale:
            self._by_key.clear()
            self._keys_of.clear()
            for item in items:
                self._add(item)
            self._changed.clear()
            self._stale = False
            return
        while self._changed:
            _, item = self._changed.popitem()
            self._remove(item)
            self._add(item)

    def _add(self, item: T) -> None:
        ident = id(item)
        keys = tuple(dict.fromkeys(self._keys(item)))
        self._keys_of[ident] = keys
        for key in keys:
            self._by_key.setdefault(key, {})[ident] = item

    def _remove(self, item: T) -> None:
        ident = id(item)
        for key in self._keys_of.pop(ident, ()):
            bucket = self._by_key.get(key)
            if bucket is not None:
                bucket.pop(ident, None)
                if not bucket:
                    del self._by_key[key]


def _position(item: Any) -> int:
    found = position(item)
    return -1 if found is None else found
