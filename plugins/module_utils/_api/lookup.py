# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the names operators write (zone, pod, cluster, host) into the UUIDs the API wants."""

from __future__ import annotations

import re

from .errors import CloudStackError

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# kind -> (list command, extra list parameters)
_KINDS = {
    "zone": ("listZones", {}),
    "pod": ("listPods", {}),
    "cluster": ("listClusters", {}),
    "host": ("listHosts", {"type": "Routing"}),
}


def is_uuid(value):
    return bool(_UUID_RE.match(str(value)))


class NotFoundError(CloudStackError):
    """A named object does not exist."""


def resolve_id(client, kind, value, scope=None):
    """The UUID of the ``kind`` called ``value`` (a UUID is returned as it is). ``scope`` narrows the search,
    e.g. ``{"zoneid": ...}``."""
    if value is None:
        return None
    if is_uuid(value):
        return str(value)
    command, extra = _KINDS[kind]
    params = dict(extra, name=value, **(scope or {}))
    matches = [item for item in client.list(command, params) if item.get("name") == value]
    if not matches:
        raise NotFoundError("%s %s: not found" % (kind, value), command)
    if len(matches) > 1:
        raise CloudStackError("%s %s: %d objects have this name, give its id instead" % (kind, value, len(matches)),
                              command)
    return matches[0]["id"]
