# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every CloudStack object kind the collection reads is listed and looked up here, and only here.

``KINDS`` says, per kind, which list command reads it and with which fixed parameters. ``find`` lists a kind
with filters and keeps exact matches (CloudStack's ``name`` filter is a substring or case-insensitive match for
some commands, and ``hypervisor`` is spelled several ways); ``get`` returns exactly one object by name or id;
``resolve_id`` turns a name into the UUID the API wants.
"""

from __future__ import annotations

import re

from .errors import CloudStackError, NotFoundError, ValidationError, shorten

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Kind:
    """How one object kind is listed: ``command`` with ``fixed`` parameters; ``label`` names it in messages."""

    def __init__(self, command, label, fixed=None):
        self.command = command
        self.label = label
        self.fixed = dict(fixed or {})


KINDS = {
    "zone": Kind("listZones", "zone"),
    "pod": Kind("listPods", "pod"),
    "cluster": Kind("listClusters", "cluster"),
    "host": Kind("listHosts", "host", {"type": "Routing"}),
    "template": Kind("listTemplates", "template", {"templatefilter": "all"}),
    "systemvm": Kind("listSystemVms", "system VM"),
    "router": Kind("listRouters", "router", {"listall": True}),
    "management_server": Kind("listManagementServers", "management server"),
    # User VMs of every account: without listall an admin sees only its own.
    "vm": Kind("listVirtualMachines", "VM", {"listall": True}),
    "setting": Kind("listConfigurations", "setting"),
}

# Filters compared again on the answer, because the API matches them loosely.
_EXACT = ("name", "hypervisor")


def is_uuid(value):
    return bool(_UUID_RE.match(str(value)))


def _same(key, have, want):
    if key == "hypervisor":
        return str(have or "").lower() == str(want).lower()
    return have == want


def find(client, kind, deadline=None, **filters):
    """Every object of ``kind`` matching ``filters`` (API parameters; ``name`` and ``hypervisor`` exactly).

    A filter given as None is left out, and lifts the kind's fixed parameter of that name (``type=None`` lists
    hosts of every type)."""
    spec = KINDS[kind]
    # A filter given as None lifts the kind's fixed parameter of that name (host_info's ``type: all``).
    params = dict(spec.fixed, **filters)
    wanted = {k: v for k, v in params.items() if v is not None}
    items = client.list(spec.command, wanted, deadline=deadline)
    exact = [(k, wanted[k]) for k in _EXACT if k in wanted]
    return [item for item in items if all(_same(k, item.get(k), v) for k, v in exact)]


def get(client, kind, value, deadline=None, **filters):
    """The one object of ``kind`` whose id or name is ``value`` (among those matching ``filters``).

    Raises ValidationError for an empty value, NotFoundError when nothing matches, and CloudStackError when
    several objects share the name."""
    label = KINDS[kind].label
    if value is None or str(value).strip() == "":
        raise ValidationError("%s must not be empty" % label)
    key = "id" if is_uuid(value) else "name"
    matches = find(client, kind, deadline=deadline, **dict(filters, **{key: str(value)}))
    if key == "id":
        matches = [item for item in matches if item.get("id") == str(value)]
    where = "".join(" for %s %s" % (k, v) for k, v in sorted(filters.items()) if v is not None and k != "listall")
    if not matches:
        raise NotFoundError("%s %s%s: not found" % (label, shorten(value), where), KINDS[kind].command)
    ids = sorted({item.get("id") for item in matches})
    if len(ids) > 1:
        raise CloudStackError("%s %s%s: %d objects have this name (%s), give its id instead"
                              % (label, value, where, len(ids), ", ".join(ids)), KINDS[kind].command)
    return matches[0]


def resolve_id(client, kind, value, scope=None, deadline=None):
    """The UUID of the ``kind`` called ``value`` (a UUID is returned as it is, unchecked); None for None.

    ``scope`` narrows the search, e.g. ``{"zoneid": ...}``."""
    if value is None:
        return None
    if is_uuid(value):
        return str(value)
    return get(client, kind, value, deadline=deadline, **(scope or {}))["id"]


def location_filters(client, params, kinds=("zone", "pod", "cluster", "host"), deadline=None):
    """API filters (``zoneid``, ``podid`` ...) from the location options named after ``kinds`` (names or ids).

    An option that is given but empty is an error, never "anywhere"."""
    filters = {}
    for kind in kinds:
        value = params.get(kind)
        if value is None:
            continue
        if str(value).strip() == "":
            raise ValidationError("%s must not be empty (leave it out to mean every %s)" % (kind, kind))
        scope = {"zoneid": filters["zoneid"]} if "zoneid" in filters and kind != "zone" else None
        filters[kind + "id"] = resolve_id(client, kind, value, scope, deadline)
    return filters
