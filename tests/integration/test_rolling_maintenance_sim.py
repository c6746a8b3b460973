"""startRollingMaintenance against the lab: the stage scripts installed on kvm1 by rolling_maintenance_scripts run
on kvm1 for real (over SSH, with the agent's service executor contract), in CloudStack's order and with its
arguments. The scripts' own log on the host is the proof; kvm4 and kvm5 (API-only) are simulated."""

import os
import shutil

import pytest
from cs import CloudStack

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENT_PROPERTIES = os.path.join(REPO, "tests", "lab", ".state", "libvirt", "hosts", "kvm1", "etc", "cloudstack",
                                "agent", "agent.properties")
# short: the service executor's systemd unit names must stay under 255 characters
HOOKS = "/var/tmp/csl-rm/kvm1"
LOG = "/var/tmp/csl-rm/kvm1.log"
STAGES = ("PreFlight", "PreMaintenance", "Maintenance", "PostMaintenance")


def stage_script(stage, exit_code=0):
    # records where it ran (the host's own hostname), the stage and every argument it got
    return ('#!/bin/sh\necho "$(hostname) %s $# $*" >> %s\necho "%s output on $(hostname)"\necho noise >&2\n'
            'exit %d\n' % (stage, LOG, stage, exit_code))


@pytest.fixture
def kvm1(ansible, control):
    control.reset()
    shutil.rmtree(os.path.dirname(HOOKS), ignore_errors=True)
    os.makedirs(os.path.dirname(HOOKS))

    def install(**exits):
        scripts = [{"stage": s, "extension": ".sh", "content": stage_script(s, exits.get(s, 0))} for s in STAGES]
        result = ansible.module("rolling_maintenance_scripts", {
            "hooks_dir": HOOKS, "agent_properties": AGENT_PROPERTIES, "executor": "service", "scripts": scripts,
        }, hosts="kvm1")
        assert not result.get("failed"), result
        assert result["active"]["Maintenance"] == HOOKS + "/Maintenance.sh"
        return result

    yield install
    ansible.module("agent_properties", {"path": AGENT_PROPERTIES, "absent": [
        "rolling.maintenance.hooks.dir", "rolling.maintenance.service.executor.disabled"]}, hosts="kvm1")
    shutil.rmtree(os.path.dirname(HOOKS), ignore_errors=True)
    control.reset()


@pytest.fixture
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=True, job_timeout=300)


def cluster(api, name):
    return next(c for c in api.listClusters()["cluster"] if c["name"] == name)


def log_lines():
    with open(LOG) as handle:
        return [line.split() for line in handle.read().splitlines()]


def test_stage_scripts_run_on_the_host_in_cloudstack_order(kvm1, api):
    installed = kvm1()
    assert installed["unit_name_headroom"] > 0
    cluster1 = cluster(api, "lab-cluster1")
    done = api.startRollingMaintenance(clusterids=cluster1["id"], payload="alpha beta,gamma", timeout=60)
    # the scripts' own log: every stage on kvm1 itself, in CloudStack's order, the payload cut at its first
    # comma and split into words
    assert log_lines() == [["kvm1", stage, "2", "alpha", "beta"] for stage in STAGES]
    with open(os.path.join(HOOKS, "rolling-maintenance-results")) as handle:
        assert handle.read() == "PostMaintenance,True,False"
    with open(os.path.join(HOOKS, "rolling-maintenance-output")) as handle:
        assert handle.read() == "PostMaintenance output on kvm1"  # stdout only, stripped
    body = done["rollingmaintenance"]
    assert body["success"] is True and body["details"] == "OK"
    updated = {h["hostname"]: h for h in body["hostsupdated"]}
    assert list(updated) == ["kvm1", "kvm4", "kvm5"]
    assert updated["kvm1"]["output"] == "Maintenance output on kvm1"
    assert cluster(api, "lab-cluster1")["allocationstate"] == "Enabled"
    hosts = {h["name"]: h for h in api.listHosts(type="Routing")["host"]}
    assert all(hosts[n]["resourcestate"] == "Enabled" for n in ("kvm1", "kvm4", "kvm5"))


def test_exit_70_in_preflight_skips_the_host(kvm1, api):
    kvm1(PreFlight=70)
    done = api.startRollingMaintenance(clusterids=cluster(api, "lab-cluster1")["id"], timeout=60)
    body = done["rollingmaintenance"]
    assert body["success"] is True
    assert {h["hostname"]: h["reason"] for h in body["hostsskipped"]} == {
        "kvm1": "Pre-flight stage set to avoid maintenance"}
    assert [h["hostname"] for h in body["hostsupdated"]] == ["kvm4", "kvm5"]
    # PreMaintenance still ran (CloudStack checks the avoid set after it), nothing after it
    assert [line[1] for line in log_lines()] == ["PreFlight", "PreMaintenance"]
    with open(os.path.join(HOOKS, "rolling-maintenance-results")) as handle:
        assert handle.read() == "PreMaintenance,True,False"
