"""The simulated world: entity collections in one JSON-able dict, persisted atomically."""

import json
import os
import threading
import time
import uuid
from pathlib import Path

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
    "job": "jobs",
}
# kinds the lab has none of (ids of these never resolve, as for a CloudStack without such entities)
EMPTY_KINDS = {"vm", "vpc", "project", "oscategory", "extension", "user", "diskoffering"}

STATE_FILE = "state.json"
SCHEMA = 1


def stable_id(kind, name):
    return str(uuid.uuid5(NAMESPACE, "%s:%s" % (kind, name)))


def fmt_date(ts):
    """CloudStack's JSON date format, e.g. 2024-01-15T11:00:00+0000 (UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(ts))


class World:
    def __init__(self, state_dir, state):
        self.state_dir = Path(state_dir)
        self.state = state
        self.lock = threading.RLock()
        self.dirty = False

    # ----- persistence -----

    @property
    def path(self):
        return self.state_dir / STATE_FILE

    @classmethod
    def load(cls, state_dir):
        path = Path(state_dir) / STATE_FILE
        with open(path, encoding="utf-8") as fh:
            state = json.load(fh)
        if state.get("schema") != SCHEMA:
            raise ValueError("%s has schema %r, expected %r" % (path, state.get("schema"), SCHEMA))
        return cls(state_dir, state)

    def save(self):
        """Write state.json atomically (temporary file in the same directory, then rename)."""
        with self.lock:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(".%s.%d.tmp" % (STATE_FILE, os.getpid()))
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(self.state, fh, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            self.dirty = False

    def save_if_dirty(self):
        with self.lock:
            if self.dirty:
                self.save()

    def touch(self):
        self.dirty = True

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
