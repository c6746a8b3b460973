# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System VM (SSVM, CPVM) life cycle decisions: pure logic shared by the ``systemvm`` module and its tests."""

from __future__ import annotations

import re

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


class SystemVmStateError(ValueError):
    """The VM is in a state the wanted change cannot start from."""


def parse_version(text):
    """``"4.20.1.0"`` -> ``(4, 20, 1, 0)``; None when the text holds no version."""
    match = _NUM.search(str(text or ""))
    if not match:
        return None
    return tuple(int(part) for part in match.group(0).split("."))


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
