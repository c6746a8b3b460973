# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VM a diagnostics task acts on: a system VM (SSVM, CPVM) or a virtual router, by name or id."""

from __future__ import annotations

from .._api import lookup
from .._api.errors import CloudStackError, NotFoundError, ValidationError, shorten

# The kinds diagnostics work on, in the order they are looked up.
KINDS = ("systemvm", "router")


def find_target(client, key, value, deadline=None):
    """``(kind, vm)``: the system VM or router whose ``key`` (``name`` or ``id``) is ``value``.

    System VMs are listed first and routers only when no system VM matched. Raises NotFoundError when neither
    matches, and CloudStackError when several VMs share the name."""
    if value is None or str(value).strip() == "":
        raise ValidationError("%s must not be empty" % key)
    for kind in KINDS:
        rows = lookup.find(client, kind, deadline=deadline, **{key: str(value)})
        rows = [row for row in rows if str(row.get(key)) == str(value)]
        if len(rows) > 1:
            raise CloudStackError("%d VMs are called %s, give the id instead (%s)"
                                  % (len(rows), shorten(value), ", ".join(sorted(r.get("id") or "" for r in rows))))
        if rows:
            return kind, rows[0]
    raise NotFoundError("no system VM or router has %s %s" % (key, shorten(value)), "listRouters")


def describe(kind, vm):
    """The VM as the results show it."""
    kind_name = "router" if kind == "router" else vm.get("systemvmtype")
    return dict(id=vm.get("id"), name=vm.get("name"), type=kind_name, state=vm.get("state"),
                hostname=vm.get("hostname"), hostid=vm.get("hostid"), linklocalip=vm.get("linklocalip"),
                hypervisor=vm.get("hypervisor"), zonename=vm.get("zonename"))


def require_host(vm):
    """Raise, before anything is sent, when the VM runs on no host: CloudStack needs one to reach it."""
    if not vm.get("hostid"):
        raise CloudStackError("%s is %s and runs on no host; diagnostics need a running VM"
                              % (vm.get("name"), vm.get("state") or "in an unknown state"))
