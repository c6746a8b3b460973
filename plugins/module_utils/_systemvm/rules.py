# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System VM (SSVM, CPVM) life cycle rules of the ``systemvm`` backend: which action brings a VM to the wanted
state, when a VM is current (the predicate the replacement wait uses), which template CloudStack will recreate a
VM from, and the checks of the input. Pure functions; nothing here talks to CloudStack."""

from __future__ import annotations

import re

from .._api.errors import ValidationError, shorten

STATES = ("started", "stopped", "restarted", "recreated", "migrated")

# What the module does for each wanted state; None means nothing to do.
START, STOP, REBOOT, DESTROY, MIGRATE = "start", "stop", "reboot", "destroy", "migrate"
COMMANDS = {
    START: "startSystemVm",
    STOP: "stopSystemVm",
    REBOOT: "rebootSystemVm",
    DESTROY: "destroySystemVm",
    MIGRATE: "migrateSystemVm",
}
VERBS = {"started": "start", "stopped": "stop", "restarted": "restart", "recreated": "recreate",
         "migrated": "migrate"}

_NUM = re.compile(r"\d+(?:\.\d+)*")
_VERSION = re.compile(r"^\d+(?:\.\d+){0,3}$")


class SystemVmStateError(ValueError):
    """The VM is in a state the wanted change cannot start from."""


def parse_version(text):
    """``"4.20.1.0"`` -> ``(4, 20, 1, 0)``; None when the text holds no version."""
    match = _NUM.search(str(text or ""))
    if not match:
        return None
    return tuple(int(part) for part in match.group(0).split("."))


def check_version(text):
    """Raise ValidationError unless ``text`` is a version the option accepts: 1 to 4 dot-separated numbers."""
    if not _VERSION.match(str(text).strip()):
        raise ValidationError("version must be numbers separated by dots, like 4.20 or 4.20.1.0, got %s"
                              % shorten(text))


def version_matches(actual, expected):
    """Whether a system VM reporting ``actual`` runs ``expected``.

    ``4.20`` matches any ``4.20.x``; ``4.20.1.0`` matches ``4.20.1`` (missing parts count as 0)."""
    have, want = parse_version(actual), parse_version(expected)
    if have is None or want is None:
        return False
    if have[:len(want)] == want:
        return True
    width = max(len(have), len(want))
    return have + (0,) * (width - len(have)) == want + (0,) * (width - len(want))


def is_current(vm, expected_version=None, template_id=None):
    """Whether ``vm`` is Running the expected version and template (the end state of ``recreated``)."""
    if vm.get("state") != "Running":
        return False
    if expected_version and not version_matches(vm.get("version"), expected_version):
        return False
    if template_id and vm.get("templateid") != template_id:
        return False
    return True


def plan_action(vm, state, host_id=None, expected_version=None, template_id=None):
    """The action that brings ``vm`` to ``state`` (START, STOP, REBOOT, DESTROY, MIGRATE) or None.

    Raises SystemVmStateError when the VM is in a state the change cannot start from."""
    current = vm.get("state")
    if state == "recreated":
        return None if is_current(vm, expected_version, template_id) else DESTROY
    if current not in ("Running", "Stopped"):
        raise SystemVmStateError("it is %s; run again once it is Running or Stopped" % current)
    if state == "started":
        return START if current == "Stopped" else None
    if state == "stopped":
        return STOP if current == "Running" else None
    if state == "restarted":
        return REBOOT if current == "Running" else START
    if state == "migrated":
        if current != "Running":
            raise SystemVmStateError("it is %s; only a Running system VM can be migrated" % current)
        return None if vm.get("hostid") == host_id else MIGRATE
    raise ValueError("unknown state %r" % state)


def replacement_template(rows, hypervisor, zone_id):
    """The template CloudStack creates a new SSVM or CPVM from in ``zone_id``: the newest SYSTEM template of
    ``hypervisor`` that is ready there (by ``created``, then id), or None when there is none.

    ``rows`` are listTemplates rows, one per template and zone."""
    ready = [row for row in rows
             if str(row.get("templatetype") or "").upper() == "SYSTEM" and row.get("isready")
             and row.get("zoneid") == zone_id and str(row.get("hypervisor") or "").lower() == str(hypervisor).lower()]
    if not ready:
        return None
    return sorted(ready, key=lambda row: (str(row.get("created") or ""), str(row.get("id") or "")))[-1]


def find_replacement(vms, old_ids, systemvmtype, zone_id):
    """The system VM CloudStack created in place of a destroyed one: same type and zone, an id not seen before.
    The newest (by ``created``, then name) when there are several."""
    fresh = [vm for vm in vms
             if vm.get("id") not in old_ids and vm.get("systemvmtype") == systemvmtype
             and vm.get("zoneid") == zone_id and vm.get("state") not in ("Destroyed", "Expunging")]
    if not fresh:
        return None
    return sorted(fresh, key=lambda vm: (str(vm.get("created") or ""), vm.get("name") or ""))[-1]


def snapshot(vm):
    """The keys the module reports before and after a change."""
    if vm is None:
        return None
    return dict(
        id=vm.get("id"),
        name=vm.get("name"),
        state=vm.get("state"),
        version=vm.get("version"),
        hostname=vm.get("hostname"),
        templatename=vm.get("templatename"),
    )
