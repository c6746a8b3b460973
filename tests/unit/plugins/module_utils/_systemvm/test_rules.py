"""System VM life cycle rules: actions, versions, the replacement CloudStack will create (pure logic)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._systemvm.rules import (
    DESTROY, MIGRATE, REBOOT, START, STOP, SystemVmStateError, check_version, find_replacement, is_current,
    plan_action, replacement_template, version_matches)


@pytest.mark.parametrize("actual,expected,match", [
    ("4.20.1.0", "4.20.1.0", True), ("4.20.1.0", "4.20.1", True), ("4.20.1", "4.20.1.0", True),
    ("4.20.1.0", "4.20", True), ("4.19.0.0", "4.20", False), ("4.20.10.0", "4.20.1", False),
    ("4.20.1.0-SNAPSHOT", "4.20.1", True), (None, "4.20", False), ("UNKNOWN", "4.20", False),
])
def test_version_matches(actual, expected, match):
    assert version_matches(actual, expected) is match


RUNNING = {"state": "Running", "hostid": "h1", "version": "4.20.1.0", "templateid": "t2"}
STOPPED = {"state": "Stopped", "version": "4.20.1.0"}


@pytest.mark.parametrize("vm,state,kwargs,action", [
    (RUNNING, "started", {}, None), (STOPPED, "started", {}, START),
    (RUNNING, "stopped", {}, STOP), (STOPPED, "stopped", {}, None),
    (RUNNING, "restarted", {}, REBOOT), (STOPPED, "restarted", {}, START),
    (RUNNING, "migrated", {"host_id": "h1"}, None), (RUNNING, "migrated", {"host_id": "h2"}, MIGRATE),
    (RUNNING, "recreated", {"expected_version": "4.20.1"}, None),
    (RUNNING, "recreated", {"expected_version": "4.21"}, DESTROY),
    (RUNNING, "recreated", {"expected_version": "4.20", "template_id": "t1"}, DESTROY),
    (RUNNING, "recreated", {"expected_version": "4.20", "template_id": "t2"}, None),
    (STOPPED, "recreated", {"expected_version": "4.20.1"}, DESTROY),
    (dict(RUNNING, state="Starting"), "recreated", {"expected_version": "4.20.1"}, DESTROY),
])
def test_plan_action(vm, state, kwargs, action):
    assert plan_action(vm, state, **kwargs) == action


@pytest.mark.parametrize("vm,state,message", [
    (dict(RUNNING, state="Starting"), "started", "it is Starting; run again once it is Running or Stopped"),
    (STOPPED, "migrated", "only a Running system VM can be migrated"),
])
def test_plan_action_refuses_unsettled_states(vm, state, message):
    with pytest.raises(SystemVmStateError, match=message):
        plan_action(vm, state, host_id="h1")


def test_is_current():
    assert is_current(RUNNING, "4.20.1", "t2")
    assert not is_current(STOPPED, "4.20.1")


def test_find_replacement_ignores_known_and_other_kinds():
    vms = [
        {"id": "old", "systemvmtype": "consoleproxy", "zoneid": "z1", "state": "Running"},
        {"id": "ssvm", "systemvmtype": "secondarystoragevm", "zoneid": "z1", "state": "Running"},
        {"id": "other-zone", "systemvmtype": "consoleproxy", "zoneid": "z2", "state": "Running"},
        {"id": "new", "name": "v-9-VM", "systemvmtype": "consoleproxy", "zoneid": "z1", "state": "Starting",
         "created": "2026-01-02T00:00:00+0000"},
    ]
    assert find_replacement(vms, {"old"}, "consoleproxy", "z1")["id"] == "new"
    assert find_replacement(vms, {"old", "new"}, "consoleproxy", "z1") is None


@pytest.mark.parametrize("text", ["4", "4.20", "4.20.1", "4.20.1.0", " 4.20 "])
def test_check_version_accepts(text):
    check_version(text)


@pytest.mark.parametrize("text", ["4.2O", "v4.20", "4.20.", "4..20", "4.20.1.0.1", "latest", "4.20-SNAPSHOT"])
def test_check_version_refuses(text):
    with pytest.raises(ValidationError) as info:
        check_version(text)
    assert info.value.message == ("version must be numbers separated by dots, like 4.20 or 4.20.1.0, got %s" % text)


def row(tid, created, zone="z1", hypervisor="KVM", templatetype="SYSTEM", isready=True, name=None):
    return {"id": tid, "name": name or tid, "created": created, "zoneid": zone, "hypervisor": hypervisor,
            "templatetype": templatetype, "isready": isready}


def test_replacement_template_is_the_newest_ready_system_template_of_the_hypervisor_in_the_zone():
    rows = [
        row("old", "2025-01-01T00:00:00+0000"),
        row("new", "2026-01-01T00:00:00+0000"),
        row("newer-not-ready", "2026-02-01T00:00:00+0000", isready=False),
        row("newer-xen", "2026-03-01T00:00:00+0000", hypervisor="XenServer"),
        row("newer-user", "2026-04-01T00:00:00+0000", templatetype="USER"),
        row("newer-routing", "2026-04-02T00:00:00+0000", templatetype="ROUTING"),
        row("newer-other-zone", "2026-05-01T00:00:00+0000", zone="z2"),
    ]
    assert replacement_template(rows, "kvm", "z1")["id"] == "new"
    assert replacement_template(rows, "XenServer", "z1")["id"] == "newer-xen"
    assert replacement_template(rows, "KVM", "z2")["id"] == "newer-other-zone"
    assert replacement_template(rows, "VMware", "z1") is None
    assert replacement_template([], "KVM", "z1") is None
