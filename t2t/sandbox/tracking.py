"""Change tracking for the sandbox's state tree: every write becomes an operation on a path.

Why: the store appends what a request changed to a journal (journal.py) instead of rewriting
every tenant after every write, so a write costs the same at 50,000 mailboxes as at ten.
Handlers keep writing the models as plain pydantic objects — ``user.usage_location = "NL"``,
``group.members.append(id)``, ``del vault.tags[k]`` — and nothing has to remember to mark what
it touched:

- every state model derives from `Tracked`: assigning a field records ``set``;
- every list and dict inside one is a `TrackedList` / `TrackedDict` (swapped in when the model
  is made or the value assigned): each mutating method records ``ins``, ``del`` or ``set``;
- each node knows its parent and its slot there (a field name, a dict key, a list index kept
  current lazily), so an operation's path — ``["tenants", 1, "users", 4711, "recipient",
  "alias"]`` — is found by walking up, never by searching a collection.

A model may also hear of every change beneath it, attached or not: a `Tracked` class with
``observes_changes`` gets `Tracked.changed_below` on each (model.Tenant keeps its user
indexes current so, user_index.py).

Only a tree whose root has a sink (`attach`) records anything: state being built from a seed,
replayed from a journal, or copied by a handler (``model_copy(deep=True)`` gives a detached
copy) records nothing until it is attached; attaching records it whole. Operations hold the
JSON form of their value at the moment of the change, so replaying them in order (`replay`)
rebuilds the tree exactly.

One limit, the same as the whole-file store's: an object in two places of the tree at once is
tracked where it was put last (a restart would have made two objects of it anyway).
"""

from __future__ import annotations

import datetime as dt
import threading
import types
import typing
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, ClassVar, Protocol, SupportsIndex, Union, cast, overload

from pydantic import BaseModel, TypeAdapter
from pydantic_core import to_jsonable_python

Key = str | int
Op = tuple[str, list[Key], Any]
"""``(kind, path, value)``: kind ``set`` (value at path), ``ins`` (value inserted into a list at
the path's last index) or ``del`` (the path's last item removed; value None)."""

LOCK = threading.RLock()
"""Held while a change is made and recorded, so the journal's order is the changes' order even
when two requests change the state at once."""


class Sink(Protocol):
    """Where the operations of an attached tree go (journal.py's buffer)."""

    def record(self, op: Op) -> None: ...


class Tracked(BaseModel):
    """Base of every sandbox state model: field assignments are recorded, containers tracked."""

    __slots__ = ("_t2t_parent", "_t2t_sink", "_t2t_slot")

    observes_changes: ClassVar[bool] = False
    """True: `changed_below` is called for every change in this model's subtree."""

    def changed_below(self, below: list[Any], kind: str, slot: Key | None) -> None:
        """A change under this model (only when ``observes_changes``): ``below`` holds the
        nodes from this model's child down to the changed node (empty: a field of this
        model), ``kind`` and ``slot`` are the operation's (``slot`` None: the changed list or
        dict was replaced whole — sorted, sliced, cleared)."""

    def model_post_init(self, context: Any, /) -> None:
        _own_fields(self)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Tracked:
        """A detached copy whose containers belong to it (pydantic's deep copy, re-owned)."""
        copied = super().__deepcopy__(memo)
        _own_fields(copied)
        return copied

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in type(self).model_fields:
            super().__setattr__(name, value)
            return
        with LOCK:
            old = self.__dict__.get(name)
            super().__setattr__(name, value)
            new = _adopt(self, name, self.__dict__[name])
            self.__dict__[name] = new
            if old is not new:
                _detach(old, self)
            _emit(self, "set", name, new)


class TrackedList(list[Any]):
    """A list in the state tree; structural changes are recorded as ``ins``/``del``, a sort or
    slice assignment as the whole list."""

    __slots__ = ("_t2t_parent", "_t2t_slot")

    def __init__(self, items: Iterable[Any] = (), parent: Any = None, slot: Key = "") -> None:
        super().__init__(items)
        self._t2t_parent = parent
        self._t2t_slot = slot
        for i, item in enumerate(self):
            if item.__class__ not in _SCALARS:
                list.__setitem__(self, i, _own(self, i, item))

    def index_of(self, child: Any, cached: Key) -> int | None:
        """Where ``child`` is now: its cached index if still right, else after renumbering."""
        if isinstance(cached, int) and cached < len(self) and self[cached] is child:
            return cached
        for i, item in enumerate(self):
            if isinstance(item, _NODES) and getattr(item, "_t2t_parent", None) is self:
                object.__setattr__(item, "_t2t_slot", i)
        found = getattr(child, "_t2t_slot", None)
        if isinstance(found, int) and found < len(self) and self[found] is child:
            return found
        return None

    def append(self, item: Any) -> None:
        self.insert(len(self), item)

    def extend(self, items: Iterable[Any]) -> None:
        for item in list(items):
            self.append(item)

    def __iadd__(self, items: Iterable[Any]) -> TrackedList:  # type: ignore[misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: Any) -> None:
        i = _clamp(index.__index__(), len(self))
        with LOCK:
            item = _adopt(self, i, item)
            list.insert(self, i, item)
            _emit(self, "ins", i, item)

    def pop(self, index: SupportsIndex = -1) -> Any:
        with LOCK:
            i = _position(index.__index__(), len(self))
            item = list.pop(self, i)
            _detach(item, self)
            _emit(self, "del", i, None)
            return item

    def remove(self, item: Any) -> None:
        self.pop(self.index(item))

    def clear(self) -> None:
        self._whole(lambda: list.clear(self))

    def sort(self, *, key: Callable[[Any], Any] | None = None, reverse: bool = False) -> None:
        self._whole(lambda: list.sort(self, key=key, reverse=reverse))

    def reverse(self) -> None:
        self._whole(lambda: list.reverse(self))

    def __imul__(self, n: SupportsIndex) -> TrackedList:
        self._whole(lambda: list.__imul__(self, n))
        return self

    @overload
    def __setitem__(self, index: SupportsIndex, item: Any) -> None: ...
    @overload
    def __setitem__(self, index: slice, item: Iterable[Any]) -> None: ...
    def __setitem__(self, index: SupportsIndex | slice, item: Any) -> None:
        if isinstance(index, slice):
            items = list(item)
            self._whole(lambda: list.__setitem__(self, index, items))
            return
        with LOCK:
            i = _position(index.__index__(), len(self))
            old = self[i]
            new = _adopt(self, i, item)
            list.__setitem__(self, i, new)
            if old is not new:
                _detach(old, self)
            _emit(self, "set", i, new)

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        if isinstance(index, slice):
            self._whole(lambda: list.__delitem__(self, index))
        else:
            self.pop(index)

    def _whole(self, change: Callable[[], object]) -> None:
        """A change recorded as the list's new value (sort, reverse, slices, clear)."""
        with LOCK:
            before = list(self)
            change()
            for i, item in enumerate(self):
                list.__setitem__(self, i, _adopt(self, i, item))
            kept = {id(x) for x in self}
            for item in before:
                if id(item) not in kept:
                    _detach(item, self)
            _emit_self(self)

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> TrackedList:
        import copy

        return TrackedList(copy.deepcopy(list(self), memo))

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (list, (list(self),))


class TrackedDict(dict[Any, Any]):
    """A dict in the state tree; each key's change is recorded as ``set``/``del`` of that key."""

    __slots__ = ("_t2t_parent", "_t2t_slot")

    def __init__(self, items: Any = (), parent: Any = None, slot: Key = "") -> None:
        super().__init__(items)
        self._t2t_parent = parent
        self._t2t_slot = slot
        for key, value in self.items():
            if value.__class__ not in _SCALARS:
                dict.__setitem__(self, key, _own(self, key, value))

    def __setitem__(self, key: Any, value: Any) -> None:
        with LOCK:
            old = self.get(key)
            new = _adopt(self, key, value)
            dict.__setitem__(self, key, new)
            if old is not new:
                _detach(old, self)
            _emit(self, "set", key, new)

    def __delitem__(self, key: Any) -> None:
        with LOCK:
            old = self[key]
            dict.__delitem__(self, key)
            _detach(old, self)
            _emit(self, "del", key, None)

    _MISSING: Any = object()

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default is TrackedDict._MISSING:
            raise KeyError(key)
        return default

    def popitem(self) -> tuple[Any, Any]:
        key = next(reversed(self.keys()))
        return key, self.pop(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> TrackedDict:  # type: ignore[misc]
        self.update(other)
        return self

    def clear(self) -> None:
        with LOCK:
            before = list(self.values())
            dict.clear(self)
            for value in before:
                _detach(value, self)
            _emit_self(self)

    def __copy__(self) -> dict[Any, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> TrackedDict:
        import copy

        return TrackedDict(copy.deepcopy(dict(self), memo))

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (dict, (dict(self),))


_NODES = (Tracked, TrackedList, TrackedDict)


def _clamp(i: int, n: int) -> int:
    """list.insert's reading of an index."""
    if i < 0:
        return max(0, n + i)
    return min(i, n)


def _position(i: int, n: int) -> int:
    """list indexing's reading of an index (IndexError as list raises it)."""
    j = n + i if i < 0 else i
    if not 0 <= j < n:
        raise IndexError("list index out of range")
    return j


def _own(parent: Any, slot: Key, value: Any) -> Any:
    """``value`` kept under ``parent[slot]`` by a model or container being made: a node is
    pointed at its place (its own subtree was wired when it was made), a plain list or dict
    becomes a tracked one."""
    cls = value.__class__
    if cls is list:
        return TrackedList(value, parent, slot)
    if cls is dict:
        return TrackedDict(value, parent, slot)
    if cls in _SCALARS:
        return value
    if isinstance(value, _NODES):
        object.__setattr__(value, "_t2t_parent", parent)
        object.__setattr__(value, "_t2t_slot", slot)
        return value
    return _adopt(parent, slot, value)


def _own_fields(model: Tracked) -> None:
    fields = model.__dict__
    for name in _structured_fields(type(model)):
        value = fields.get(name)
        if value.__class__ not in _SCALARS:
            fields[name] = _own(model, name, value)


_SCALARS = frozenset({str, int, float, bool, type(None), dt.datetime, dt.date})
"""Values that hold nothing to track (the checks above are hot: every model made passes)."""


@cache
def _structured_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` that may hold a list, dict or model (the others never need
    tracking), from their annotations."""
    return tuple(
        name
        for name, field in model.model_fields.items()
        if not _scalar_annotation(field.annotation)
    )


def _scalar_annotation(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return all(_scalar_annotation(a) for a in typing.get_args(annotation))
    if typing.get_origin(annotation) is typing.Literal:
        return True
    return annotation in _SCALARS


def _adopt(parent: Any, slot: Key, value: Any) -> Any:
    """``value`` as it is kept under ``parent[slot]``: containers made tracked, nodes pointed at
    their new place, all the way down (a detached copy being attached may have lost its links,
    or never had them: ``model_copy(update=…)`` is not validated)."""
    cls = value.__class__
    if cls in _SCALARS:
        return value
    if isinstance(value, Tracked):
        object.__setattr__(value, "_t2t_parent", parent)
        object.__setattr__(value, "_t2t_slot", slot)
        fields = value.__dict__
        for name in _structured_fields(cls):
            child = fields.get(name)
            if child.__class__ not in _SCALARS:
                fields[name] = _adopt(value, name, child)
        return value
    if cls is list:
        value = TrackedList(value)
    elif cls is dict:
        value = TrackedDict(value)
    if isinstance(value, TrackedList):
        value._t2t_parent, value._t2t_slot = parent, slot
        for i, item in enumerate(value):
            if item.__class__ not in _SCALARS:
                list.__setitem__(value, i, _adopt(value, i, item))
        return value
    if isinstance(value, TrackedDict):
        value._t2t_parent, value._t2t_slot = parent, slot
        for key, item in value.items():
            if item.__class__ not in _SCALARS:
                dict.__setitem__(value, key, _adopt(value, key, item))
        return value
    if isinstance(value, BaseModel):
        raise TypeError(
            f"{type(value).__name__} is kept in the sandbox state but does not derive from "
            "t2t.sandbox.tracking.Tracked: its changes would not be saved"
        )
    if isinstance(value, list | dict | set | bytearray):
        raise TypeError(f"a {type(value).__name__} in the sandbox state cannot be tracked")
    return value


def _detach(value: Any, parent: Any) -> None:
    """``value`` left ``parent``: it records nothing until attached again (unless it was
    already put somewhere else, which it then belongs to). Its subtree's parent links are
    cut too — attaching rewires them — so no reference cycle outlives it (the loaded state is
    frozen out of the cycle collector, state.py)."""
    if isinstance(value, _NODES) and getattr(value, "_t2t_parent", None) is parent:
        object.__setattr__(value, "_t2t_parent", None)
        for child in _children(value):
            _detach(child, value)


def _children(node: Any) -> Iterable[Any]:
    if isinstance(node, Tracked):
        return node.__dict__.values()
    if isinstance(node, TrackedDict):
        return node.values()
    return cast(Iterable[Any], node)


def _locate(node: Any, kind: str, changed: Key | None) -> tuple[Sink, list[Key]] | None:
    """The sink of the tree ``node`` is attached to and ``node``'s path in it; None when it is
    not attached (then nothing is recorded). On the way up, every observing model hears of
    the change (``kind`` at slot ``changed`` of ``node``)."""
    parts: list[Key] = []
    below: list[Any] = []
    while True:
        if isinstance(node, Tracked) and node.observes_changes:
            node.changed_below(below[::-1], kind, changed)
        parent = getattr(node, "_t2t_parent", None)
        if parent is None:
            sink = getattr(node, "_t2t_sink", None)
            if sink is None:
                return None
            parts.reverse()
            return sink, parts
        slot = node._t2t_slot
        if isinstance(parent, TrackedList):
            index = parent.index_of(node, slot)
            if index is None:
                return None
            slot = index
        parts.append(slot)
        below.append(node)
        node = parent


def position(node: Any) -> int | None:
    """Where ``node`` is in the list that holds it (None: in no list)."""
    parent = getattr(node, "_t2t_parent", None)
    if not isinstance(parent, TrackedList):
        return None
    return parent.index_of(node, node._t2t_slot)


def _path_key(key: Any) -> Key:
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise TypeError(f"a sandbox state dict key must be a str or an int, not {key!r}")
    return key


def _emit(node: Any, kind: str, slot: Any, value: Any) -> None:
    found = _locate(node, kind, slot)
    if found is not None:
        sink, path = found
        path.append(_path_key(slot))
        sink.record((kind, path, None if kind == "del" else to_jsonable_python(value)))


def _emit_self(container: TrackedList | TrackedDict) -> None:
    """Record a container's whole new value at its own path."""
    found = _locate(container, "set", None)
    if found is not None:
        sink, path = found
        sink.record(("set", path, to_jsonable_python(container)))


def attach(root: Tracked, sink: Sink | None) -> None:
    """Make ``root`` the top of a tree whose changes go to ``sink`` (None: record nothing)."""
    object.__setattr__(root, "_t2t_parent", None)
    object.__setattr__(root, "_t2t_sink", sink)


# -- replay ------------------------------------------------------------------------------


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _bare(annotation: Any) -> Any:
    """``X`` for ``X | None`` (the only unions the state uses around containers)."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _inner(annotation: Any) -> tuple[Any, Any]:
    """(key type, item type) of a list or dict annotation; ``Any`` for an untyped one."""
    bare = _bare(annotation)
    origin = typing.get_origin(bare)
    args = typing.get_args(bare)
    if origin is list:
        return int, args[0] if args else Any
    if origin is dict:
        return (args[0], args[1]) if args else (Any, Any)
    return Any, Any


def _step(node: Any, annotation: Any, part: Key) -> tuple[Any, Any]:
    if isinstance(node, BaseModel):
        field = type(node).model_fields[cast(str, part)]
        return getattr(node, cast(str, part)), field.annotation
    key_type, item = _inner(annotation)
    if isinstance(node, dict):
        return node[_adapter(key_type).validate_python(part)], item
    return node[cast(int, part)], item


def replay(root: Tracked, op: Op) -> None:
    """Apply one recorded operation to a tree (not attached, so nothing is recorded again).
    Values are validated as the field they go into, exactly as when they were made."""
    kind, path, value = op
    node: Any = root
    annotation: Any = type(root)
    for part in path[:-1]:
        node, annotation = _step(node, annotation, part)
    last = path[-1]
    if isinstance(node, BaseModel):
        if kind != "set":
            raise ValueError(f"cannot {kind} a model field ({path})")
        field = type(node).model_fields[cast(str, last)]
        setattr(node, cast(str, last), _adapter(cast(Any, field.annotation)).validate_python(value))
        return
    key_type, item = _inner(annotation)
    key = _adapter(key_type).validate_python(last)
    if kind == "del":
        del node[key]
    elif kind == "ins":
        node.insert(key, _adapter(item).validate_python(value))
    else:
        node[key] = _adapter(item).validate_python(value)
