"""System VM life cycle decisions and bounded polling (pure logic)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils.polling import Deadline, poll
from ansible_collections.csops.cloudstack.plugins.module_utils.systemvms import (
    DESTROY, MIGRATE, REBOOT, START, STOP, SystemVmStateError, find_replacement, is_current, plan_action,
    version_matches)
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import PollSchedule


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


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_poll_returns_at_once_when_already_done():
    clock = FakeClock()
    calls = []
    value, finished = poll(lambda: calls.append(1) or "ok", lambda v: v == "ok", Deadline(10, clock),
                           sleep=clock.sleep)
    assert (value, finished, len(calls), clock.now) == ("ok", True, 1, 0.0)


def test_poll_never_sleeps_past_the_deadline():
    clock = FakeClock()
    calls = []
    value, finished = poll(lambda: calls.append(clock.now) or len(calls), lambda v: False, Deadline(5, clock),
                           schedule=PollSchedule(first=1, factor=2, cap=10), sleep=clock.sleep)
    assert finished is False
    assert clock.now == 5
    assert calls == [0, 1, 3, 5]
