"""Containers that remember which unit of the world state a change touched.

The state is one dict. A *unit* is what the journal writes as a whole: one entity of a collection
(``("routers", <id>)``) or one other top-level key (``("settings",)``, ``("boot",)``). Every dict and list in
the state is a ``TrackedDict``/``TrackedList`` that adds its unit to a shared ``set`` when it is changed, so
handlers keep mutating plain-looking dicts and the world knows exactly what to write.

Values a handler inserts are stored as given (a caller may keep changing the dict it just inserted);
``adopt`` turns them into tracked containers when the unit is written (``World.save_if_dirty``).
"""

_MISSING = object()
_SCALARS = (str, int, float, bool, type(None))


def _same(old, new):
    """True when writing ``new`` over ``old`` changes nothing (same object, or the same scalar)."""
    return old is new or (type(old) is type(new) and isinstance(new, _SCALARS) and old == new)


class TrackedDict(dict):
    """A dict that adds its unit (or, above unit level, ``path + (key,)``) to ``changes`` on every change."""

    __slots__ = ("_changes", "_unit", "_path")

    def _mark(self, key):
        self._changes.add(self._unit if self._unit is not None else self._path + (key,))

    def _mark_all(self, keys):
        if self._unit is not None:
            self._changes.add(self._unit)
        else:
            self._changes.update(self._path + (key,) for key in keys)

    def __setitem__(self, key, value):
        if _same(dict.get(self, key, _MISSING), value):
            return
        dict.__setitem__(self, key, value)
        self._mark(key)

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        self._mark(key)

    def pop(self, key, *default):
        if key in self:
            self._mark(key)
        return dict.pop(self, key, *default)

    def popitem(self):
        key, value = dict.popitem(self)
        self._mark(key)
        return key, value

    def setdefault(self, key, default=None):
        if key not in self:
            dict.__setitem__(self, key, default)
            self._mark(key)
        return dict.__getitem__(self, key)

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other):
        self.update(other)
        return self

    def clear(self):
        self._mark_all(list(self))
        dict.clear(self)


class TrackedList(list):
    """A list inside one unit; any change adds that unit to ``changes``."""

    __slots__ = ("_changes", "_unit")

    def _mark(self):
        self._changes.add(self._unit)


def _mutator(name):
    method = getattr(list, name)

    def changed(self, *args, **kwargs):
        self._mark()
        return method(self, *args, **kwargs)

    changed.__name__ = name
    return changed


for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop", "remove",
              "clear", "sort", "reverse"):
    setattr(TrackedList, _name, _mutator(_name))


def unit_of(path, collections):
    """The unit a value at ``path`` (a tuple of keys from the top) belongs to; None above unit level."""
    depth = 2 if path and path[0] in collections else 1
    return tuple(path[:depth]) if len(path) >= depth else None


def adopt(value, path, changes, collections):
    """``value`` (stored at ``path``) made of tracked containers; tracked ones of the right unit are kept as they
    are (plain children get replaced in place), so references held elsewhere stay live."""
    if not isinstance(value, (dict, list)):
        return value
    unit = unit_of(path, collections)
    if isinstance(value, dict):
        if isinstance(value, TrackedDict) and value._unit == unit and value._changes is changes:
            out = value
        else:
            out = TrackedDict()
            out._changes, out._unit, out._path = changes, unit, tuple(path)
        for key, item in (value.items() if out is value else list(value.items())):
            child = adopt(item, tuple(path) + (key,), changes, collections)
            if child is not item or out is not value:
                dict.__setitem__(out, key, child)
        return out
    if isinstance(value, TrackedList) and value._unit == unit and value._changes is changes:
        out = value
    else:
        out = TrackedList()
        out._changes, out._unit = changes, unit
        list.extend(out, value)
    for index, item in enumerate(out):
        child = adopt(item, tuple(path) + (index,), changes, collections)
        if child is not item:
            list.__setitem__(out, index, child)
    return out
