# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""csops.cloudstack.rolling_maintenance through real playbook runs against the lab, with stage scripts installed
on kvm1 by csops.cloudstack.rolling_maintenance_scripts. The simulator's startRollingMaintenance runs those scripts
on kvm1 for real (over SSH, with the agent's service executor contract); each script appends where it ran, its
stage and its arguments to a log file, so the order and the arguments are proven by the host itself. kvm4 and
kvm5 are API-only: their stages are simulated. Checked: check mode, the result (hosts updated with their times,
kvm1's Maintenance output), a failing stage (failed with CloudStack's details), an exit 70 in PreFlight (host
skipped). A finalizer puts every host and the cluster back to Enabled and removes the scripts and the keys."""

import os
import shutil
import time

import pytest
from cs import CloudStack

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENT_PROPERTIES = os.path.join(REPO, "tests", "lab", ".state", "libvirt", "hosts", "kvm1", "etc", "cloudstack",
                                "agent", "agent.properties")
BASE = "/var/tmp/csl-rmm"  # short: systemd unit names of the service executor stay under 255 characters
HOOKS = BASE + "/kvm1"
LOG = BASE + "/kvm1.log"
STAGES = ("PreFlight", "PreMaintenance", "Maintenance", "PostMaintenance")
KEYS = ["rolling.maintenance.hooks.dir", "rolling.maintenance.service.executor.disabled"]
DURATIONS = dict(vmMigration=0.2, prepareHostForMaintenance=0.2, cancelHostMaintenance=0.2)
CLUSTER1 = ("kvm1", "kvm4", "kvm5")


def stage_script(stage, exit_code=0):
    return ('#!/bin/sh\necho "$(hostname) %s $# $*" >> %s\necho "%s output on $(hostname)"\necho noise >&2\n'
            'exit %d\n' % (stage, LOG, stage, exit_code))


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)


def hosts(api):
    return {h["name"]: h for h in api.listHosts(type="Routing")["host"]}


def cluster1(api):
    return next(c for c in api.listClusters()["cluster"] if c["name"] == "lab-cluster1")


def everything_enabled(api):
    rows = hosts(api)
    return cluster1(api)["allocationstate"] == "Enabled" and all(
        rows[name]["resourcestate"] == "Enabled" and rows[name]["state"] == "Up" for name in CLUSTER1)


def log_lines():
    if not os.path.exists(LOG):
        return []
    with open(LOG) as handle:
        return [line.split() for line in handle.read().splitlines()]


@pytest.fixture
def kvm1(ansible, control, api):
    """install(**exit codes by stage): the four stage scripts on kvm1; restores everything afterwards."""
    control.reset()
    control.set_job_durations(**DURATIONS)
    shutil.rmtree(BASE, ignore_errors=True)
    os.makedirs(BASE)

    def install(**exits):
        scripts = [{"stage": s, "extension": ".sh", "content": stage_script(s, exits.get(s, 0))} for s in STAGES]
        result = ansible.module("rolling_maintenance_scripts", {
            "hooks_dir": HOOKS, "agent_properties": AGENT_PROPERTIES, "executor": "service", "scripts": scripts,
        }, hosts="kvm1")
        assert not result.get("failed"), result.get("msg")
        assert result["active"] == {s: "%s/%s.sh" % (HOOKS, s) for s in STAGES}
        return result

    yield install

    # Restore through the collection itself, then check through the API and on the host.
    rows = hosts(api)
    for name in CLUSTER1:
        if rows[name]["resourcestate"] != "Enabled":
            back = ansible.module("host", {"name": name, "state": "enabled"})
            assert not back.get("failed"), back.get("msg")
    if cluster1(api)["allocationstate"] != "Enabled":
        back = ansible.module("allocation_state", {"cluster": "lab-cluster1", "state": "enabled"})
        assert not back.get("failed"), back.get("msg")
    removed = ansible.module("rolling_maintenance_scripts", {
        "hooks_dir": HOOKS, "agent_properties": AGENT_PROPERTIES,
        "scripts": [{"stage": s, "state": "absent"} for s in STAGES]}, hosts="kvm1")
    unset = ansible.module("agent_properties", {"path": AGENT_PROPERTIES, "absent": KEYS}, hosts="kvm1")
    restored = everything_enabled(api)
    left = [name for name in os.listdir(HOOKS) if name.split(".")[0] in STAGES] if os.path.isdir(HOOKS) else []
    with open(AGENT_PROPERTIES) as handle:
        keys_left = [key for key in KEYS if key in handle.read()]
    shutil.rmtree(BASE, ignore_errors=True)
    control.reset()
    assert not removed.get("failed") and not unset.get("failed"), (removed.get("msg"), unset.get("msg"))
    assert restored and left == [] and keys_left == [], (restored, left, keys_left)


def test_check_mode_starts_nothing(kvm1, ansible, control, api):
    kvm1()
    mark = control.mark()
    check = ansible.module("rolling_maintenance", {"clusters": ["lab-cluster1"], "timeout": 60}, check=True)
    assert not check.get("failed"), check.get("msg")
    assert check["changed"] is True and check["jobid"] is None and check["success"] is None
    assert check["scope"] == {"clusterids": [cluster1(api)["id"]]}
    assert control.write_calls(mark) == [] and log_lines() == []


def test_stages_run_in_cloudstack_order_with_its_arguments(kvm1, ansible, control, api):
    kvm1()
    mark = control.mark()
    started = time.time()
    result = ansible.module("rolling_maintenance", {"clusters": ["lab-cluster1"], "timeout": 60,
                                                    "payload": "alpha beta", "wait_timeout": 600})
    wall = time.time() - started
    assert not result.get("failed"), result.get("msg")
    assert [r["command"] for r in control.write_calls(mark)] == ["startRollingMaintenance"]
    # kvm1's own log: each stage ran on kvm1, in CloudStack's order, with the payload split into words
    assert log_lines() == [["kvm1", stage, "2", "alpha", "beta"] for stage in STAGES]
    assert result["changed"] is True and result["success"] is True and result["details"] == "OK"
    assert result["jobid"] and result["hosts_skipped"] == []
    updated = {h["name"]: h for h in result["hosts_updated"]}
    assert list(updated) == list(CLUSTER1)
    rows = hosts(api)
    for name, item in updated.items():
        assert item["id"] == rows[name]["id"]
        assert item["start"] and item["end"] and item["start"] <= item["end"]
        assert isinstance(item["duration_s"], (int, float)) and 0 <= item["duration_s"] <= wall + 1
    assert updated["kvm1"]["output"] == "Maintenance output on kvm1"  # stdout only, stripped
    assert everything_enabled(api)


def test_a_failing_stage_fails_with_cloudstack_details(kvm1, ansible, control, api):
    kvm1(Maintenance=3)
    kvm1_id = hosts(api)["kvm1"]["id"]
    result = ansible.module("rolling_maintenance", {"clusters": ["lab-cluster1"], "timeout": 60,
                                                    "wait_timeout": 600})
    assert result.get("failed") is True
    msg = result["msg"]
    assert "\n" not in msg and "Traceback" not in result["_stdout"]
    assert msg.startswith("start rolling maintenance: CloudStack reports it failed: "), msg
    assert "Stage Maintenance failed on host %s: Maintenance output on kvm1" % kvm1_id in msg, msg
    assert result["success"] is False and result["details"] in msg and result["hosts_updated"] == []
    assert [line[1] for line in log_lines()] == ["PreFlight", "PreMaintenance", "Maintenance"]
    # CloudStack enables the cluster again in its finally block; the host is left as the failure found it
    assert cluster1(api)["allocationstate"] == "Enabled"
    assert hosts(api)["kvm1"]["resourcestate"] == "Maintenance"


def test_exit_70_in_preflight_skips_the_host(kvm1, ansible, control, api):
    kvm1(PreFlight=70)
    result = ansible.module("rolling_maintenance", {"clusters": ["lab-cluster1"], "timeout": 60,
                                                    "wait_timeout": 600})
    assert not result.get("failed"), result.get("msg")
    assert result["success"] is True
    assert result["hosts_skipped"] == [{"id": hosts(api)["kvm1"]["id"], "name": "kvm1",
                                        "reason": "Pre-flight stage set to avoid maintenance"}]
    assert [h["name"] for h in result["hosts_updated"]] == ["kvm4", "kvm5"]
    # PreMaintenance still runs (CloudStack looks at the avoid set after it), nothing after it
    assert [line[1] for line in log_lines()] == ["PreFlight", "PreMaintenance"]
    assert everything_enabled(api)
