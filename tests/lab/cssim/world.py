"""The simulated world: entity collections in one JSON-able dict, journaled per changed entity (store.py)."""

import threading
import time
import uuid

from .store import Store
from .tracked import adopt

# A fixed namespace so that ids are stable across runs: uuid5(NS, "<kind>:<name>")
NAMESPACE = uuid.UUID("6f1d6a52-5b7e-4c1e-9d35-63a1c0c2b1a7")

# entity kind -> collection key in the state dict
COLLECTIONS = {
    "ms": "management_servers",
    "domain": "domains",
    "account": "accounts",
    "zone": "zones",
    "pod": "pods",
    "cluster": "clusters",
    "host": "hosts",
    "storagepool": "storage_pools",
    "imagestore": "image_stores",
    "network": "networks",
    "serviceoffering": "service_offerings",
    "template": "templates",
    "systemvm": "systemvms",
    "router": "routers",
    "vm": "vms",  # user VMs
    "job": "jobs",
}
# kinds the lab has none of (ids of these never resolve, as for a CloudStack without such entities)
EMPTY_KINDS = {"vpc", "project", "oscategory", "extension", "user", "diskoffering"}

# collections whose entities are journaled one by one; every other top-level key is journaled whole
UNIT_COLLECTIONS = frozenset(COLLECTIONS.values())
SCHEMA = 1


def stable_id(kind, name):
    return str(uuid.uuid5(NAMESPACE, "%s:%s" % (kind, name)))


def fmt_date(ts):
    """CloudStack's JSON date format, e.g. 2024-01-15T11:00:00+0000 (UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(ts))


class World:
    """The state (``state``, made of tracked containers) and its persistence: ``save_if_dirty`` journals the
    units changed since the last call; ``save`` compacts (new snapshot, empty journal). Hold ``lock`` while
    reading or changing the state."""

    def __init__(self, state_dir, state):
        self.store = Store(state_dir)
        self.lock = threading.RLock()
        self.changes = set()
        self.state = state

    @property
    def state(self):
        return self._state

    @state.setter
    def state(self, value):
        """Replace the whole state (seed, reset); call ``save`` afterwards."""
        with self.lock:
            self._state = adopt(value, (), self.changes, UNIT_COLLECTIONS)
            self.changes.clear()

    # ----- persistence -----

    @classmethod
    def load(cls, state_dir):
        """The world saved in ``state_dir``: the snapshot with the journal replayed."""
        store = Store(state_dir)
        state = store.load()
        if state.get("schema") != SCHEMA:
            raise ValueError("%s has schema %r, expected %r" % (store.snapshot, state.get("schema"), SCHEMA))
        return cls(state_dir, state)

    def save(self):
        """Compact: write the whole state as the snapshot (atomically) and empty the journal."""
        with self.lock:
            self.store.compact(self._state)
            self.changes.clear()

    def save_if_dirty(self):
        """Append the units changed since the last save to the journal (one line); compact when it is large."""
        with self.lock:
            if not self.changes:
                return
            units = sorted(self.changes, key=lambda unit: (len(unit), unit))  # a whole key before its entities
            self.changes.clear()
            written = set()
            ops = []
            for unit in units:
                if unit[:1] in written:  # the whole top-level key is written already
                    continue
                written.add(unit)
                parent = self._state
                for key in unit[:-1]:
                    parent = parent.get(key) if isinstance(parent, dict) else None
                    if parent is None:
                        break
                if parent is None or unit[-1] not in parent:
                    ops.append(["del", list(unit)])
                    continue
                value = adopt(parent[unit[-1]], unit, self.changes, UNIT_COLLECTIONS)
                if value is not parent[unit[-1]]:
                    dict.__setitem__(parent, unit[-1], value)
                ops.append(["set", list(unit), value])
            if self.store.append(ops):
                self.save()

    def close(self):
        """Compact and close the journal (clean stop)."""
        with self.lock:
            self.save()
            self.store.close()

    # ----- access -----

    @property
    def version(self):
        return self.state["cloudstack_version"]

    def all(self, kind):
        if kind in EMPTY_KINDS:
            return {}
        return self.state[COLLECTIONS[kind]]

    def get(self, kind, entity_id):
        if entity_id is None:
            return None
        return self.all(kind).get(entity_id)

    def exists(self, kind, entity_id):
        return self.get(kind, entity_id) is not None

    def by_name(self, kind, name):
        for item in self.all(kind).values():
            if item.get("name") == name:
                return item
        return None

    def settings_store(self):
        return self.state["settings"]
