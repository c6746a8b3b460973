# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the inventory reads from CloudStack: one listing per object kind, every page of it, never a call per object.

``read(client, kinds, fail_on_errors)`` returns a ``Snapshot``: the raw API items per listing (plain JSON data, so
it can go into Ansible's inventory cache as it is) and the listings that failed. Besides the kinds asked for it
reads the hosts whenever system VMs or routers are asked for (their SSH hop goes through the host's address),
and the templates whenever system VMs are (whether one needs recreating depends on the newest system template).
The listings are read at the same time, one thread each (the pages of one listing one after the other), so the
wait is the longest listing's rather than the sum of them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .._api import lookup
from .._api.errors import ApiError, CloudStackError

KINDS = ("hosts", "systemvms", "routers", "management_servers")

# The listings, in the order they are read: inventory kind or helper listing -> (lookup kind, filters).
LISTINGS = (
    ("hosts", "host", {}),
    ("systemvms", "systemvm", {}),
    ("routers", "router", {}),
    ("templates", "template", {"templatetype": "SYSTEM"}),
    ("management_servers", "management_server", {}),
)

# CloudStack's answer to a command it does not have (older releases lack listManagementServers).
UNKNOWN_COMMAND = 432


class Snapshot:
    """``items`` maps each listing read to its API items; ``errors`` maps each listing that failed to a one-line
    message; ``notes`` holds listings that were skipped because this CloudStack does not have them."""

    def __init__(self, items=None, errors=None, notes=None):
        self.items = items or {}
        self.errors = errors or {}
        self.notes = notes or {}

    def get(self, listing):
        return self.items.get(listing) or []

    def to_cache(self):
        """The items, as JSON-ready data for the inventory cache."""
        return {"items": self.items}

    @classmethod
    def from_cache(cls, data):
        """A Snapshot from ``to_cache`` data; None for anything else (a cache written by another version)."""
        if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
            return None
        return cls(items=data["items"])


def listings_for(kinds):
    """The listings needed for ``kinds``, in reading order."""
    wanted = set(kinds)
    if wanted & {"systemvms", "routers"}:
        wanted.add("hosts")
    if "systemvms" in wanted:
        wanted.add("templates")
    return [row for row in LISTINGS if row[0] in wanted]


def _listing(client, row):
    """``(items, None)`` for one row of LISTINGS, or ``(None, error)`` when it failed."""
    kind, filters = row[1], row[2]
    try:
        return lookup.find(client, kind, **filters), None
    except CloudStackError as error:
        return None, error


def read(client, kinds, fail_on_errors=True):
    """A Snapshot of the listings ``kinds`` need, read at the same time with ``client`` (its calls carry no
    state between them; only its request counter may miss a count when two threads add to it at once).

    With ``fail_on_errors`` the first failed listing (in reading order) raises its CloudStackError; without it
    the failure is kept in ``errors`` beside the listings that worked. A CloudStack without listManagementServers
    gives no management servers and a note, never an error."""
    rows = listings_for(kinds)
    snapshot = Snapshot()
    if not rows:
        return snapshot
    with ThreadPoolExecutor(max_workers=len(rows)) as pool:
        answers = list(pool.map(lambda row: _listing(client, row), rows))
    for row, (items, error) in zip(rows, answers):
        listing = row[0]
        if error is None:
            snapshot.items[listing] = items
        elif (listing == "management_servers" and isinstance(error, ApiError)
              and error.errorcode == UNKNOWN_COMMAND):
            snapshot.notes[listing] = "this CloudStack does not list management servers (%s)" % error.message
        elif fail_on_errors:
            raise error
        else:
            snapshot.errors[listing] = error.message
    return snapshot
