# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/rolling_maintenance.yml on the lab: every host of lab-cluster1 (kvm1 real, kvm4, kvm5 API-only) and
lab-cluster2 (kvm2 real, kvm6 API-only) through maintenance. Stage scripts installed on kvm1 and kvm2 by
csops.cloudstack.rolling_maintenance_scripts append their stage, arguments and the time to a log; the log proves
they ran in CloudStack's order with its arguments, and the Maintenance stage while the host was in maintenance
(between its prepareHostForMaintenance and cancelHostMaintenance in the simulator's request log). The report is
checked against the simulator's state. API-only hosts run with not_in_inventory=api_only. Nothing is mocked."""

import json
import os
import shutil
import tempfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = "/var/tmp/csl-rmp"  # short: systemd unit names of the service executor stay under 255 characters
STAGES = ("PreFlight", "PreMaintenance", "Maintenance", "PostMaintenance")
KEYS = ["rolling.maintenance.hooks.dir", "rolling.maintenance.service.executor.disabled"]
DURATIONS = dict(vmMigration=0.2, prepareHostForMaintenance=0.2, cancelHostMaintenance=0.2)
REAL = ("kvm1", "kvm2")
CLUSTERS = {"lab-cluster1": ("kvm1", "kvm4", "kvm5"), "lab-cluster2": ("kvm2", "kvm6")}
PAYLOAD = "lab-payload"


def agent_properties(name):
    return os.path.join(REPO, "tests", "lab", ".state", "libvirt", "hosts", name, "etc", "cloudstack", "agent",
                        "agent.properties")


def stage_script(stage):
    # the host is the name of the script's own hooks directory (BASE/<host>/<stage>.sh)
    return ('#!/bin/sh\necho "$(basename "$(dirname "$0")") %s $(date +%%s.%%N) $# $*" >> %s/log\n'
            'echo "%s done"\n' % (stage, BASE, stage))


def log_lines():
    path = os.path.join(BASE, "log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [line.split() for line in handle.read().splitlines()]


@pytest.fixture
def scripts(ansible, control):
    control.reset()
    control.set_job_durations(**DURATIONS)
    shutil.rmtree(BASE, ignore_errors=True)
    os.makedirs(BASE)
    for name in REAL:
        result = ansible.module("rolling_maintenance_scripts", {
            "hooks_dir": "%s/%s" % (BASE, name), "agent_properties": agent_properties(name), "executor": "service",
            "scripts": [{"stage": s, "extension": ".sh", "content": stage_script(s)} for s in STAGES]}, hosts=name)
        assert not result.get("failed"), result.get("msg")
    yield
    problems = []
    for name in REAL:
        unset = ansible.module("agent_properties", {"path": agent_properties(name), "absent": KEYS}, hosts=name)
        if unset.get("failed"):
            problems.append(unset.get("msg"))
    shutil.rmtree(BASE, ignore_errors=True)
    control.reset()
    assert not problems, problems


def test_every_host_of_two_clusters(scripts, ansible, control):
    before = control.state()
    hosts = {h["name"]: h for h in before["hosts"].values()}
    names_by_id = {h["id"]: h["name"] for h in hosts.values()}
    user_vms_on = {name: sorted(vm["name"] for vm in before["vms"].values() if vm.get("hostid") == hosts[name]["id"])
                   for name in hosts}
    mark = control.mark()
    with tempfile.TemporaryDirectory() as tmp:
        inventory = os.path.join(tmp, "hosts.yml")
        with open(inventory, "w") as handle:
            yaml.safe_dump({"kvm_hosts": {"hosts": {name: {"kvm_rolling_maintenance_agent_properties":
                                                           agent_properties(name)} for name in REAL}}}, handle)
        report_file = os.path.join(tmp, "report.json")
        proc = ansible.playbook(os.path.join(REPO, "playbooks", "rolling_maintenance.yml"), "-i", inventory,
                                extra_vars={"kvm_rolling_maintenance_clusters": sorted(CLUSTERS),
                                            "kvm_rolling_maintenance_not_in_inventory": "api_only",
                                            "kvm_rolling_maintenance_payload": PAYLOAD,
                                            "kvm_rolling_maintenance_state_dir": os.path.join(tmp, "state"),
                                            "kvm_rolling_maintenance_report_file": report_file,
                                            "kvm_rolling_maintenance_up_delay": 1,
                                            "kvm_rolling_maintenance_gate_delay": 1})
        assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
        with open(report_file) as handle:
            report = json.load(handle)
        markers_left = os.listdir(os.path.join(tmp, "state"))

    # the report: every host done, in its cluster, with its stages; what moved is what was on the host
    assert report["ok"] and report["counts"]["done"] == 5 and markers_left == []
    by_name = {h["name"]: h for h in report["hosts"]}
    assert {c["name"]: [h["name"] for h in c["hosts"]] for c in report["clusters"]} == {
        k: list(v) for k, v in CLUSTERS.items()}
    for name in REAL:
        stages = [s["name"] for s in by_name[name]["stages"]]
        assert stages == ["PreFlight", "PreMaintenance", "maintenance", "Maintenance script", "Maintenance",
                          "cancel", "PostMaintenance", "gate"], stages
        assert all(s.get("duration_s") is not None for s in by_name[name]["stages"])
    for name in ("kvm4", "kvm5", "kvm6"):
        assert by_name[name]["api_only"] and [s["name"] for s in by_name[name]["stages"]] == [
            "maintenance", "Maintenance", "cancel", "gate"]
    first = by_name["kvm1"]  # the canary: nothing moved before it, so its drain is exactly what was on it
    moved_users = sorted(vm["name"] for vm in first["vms_moved"] if vm.get("kind") == "user")
    assert moved_users == user_vms_on["kvm1"] and all(vm["to_host"] in ("kvm4", "kvm5") for vm in first["vms_moved"])

    # the hosts' own log: CloudStack's order, its argument, Maintenance while the host was in maintenance
    lines = log_lines()
    requests = control.requests(since=mark)
    for name in REAL:
        mine = [line for line in lines if line[0] == name]
        assert [line[1] for line in mine] == list(STAGES), mine
        assert all(line[3:] == ["1", PAYLOAD] for line in mine), mine
        host_id = hosts[name]["id"]
        prepared = [r["time"] for r in requests if r["command"] == "prepareHostForMaintenance"
                    and r["params"].get("id") == host_id]
        cancelled = [r["time"] for r in requests if r["command"] == "cancelHostMaintenance"
                     and r["params"].get("id") == host_id]
        assert len(prepared) == 1 and len(cancelled) == 1
        times = {line[1]: float(line[2]) for line in mine}
        assert times["PreMaintenance"] < prepared[0] < times["Maintenance"] < cancelled[0] < times["PostMaintenance"]

    # the cloud afterwards: every host Up and Enabled, both clusters Enabled, VMs still Running
    after = control.state()
    for host in after["hosts"].values():
        if host["name"] in by_name:
            assert (host["state"], host["resourcestate"]) == ("Up", "Enabled"), host["name"]
    for cluster in after["clusters"].values():
        if cluster["name"] in CLUSTERS:
            assert cluster["allocationstate"] == "Enabled"
    running_before = {vm["id"] for vm in before["vms"].values() if vm["state"] == "Running"}
    assert all(after["vms"][vm_id]["state"] == "Running" for vm_id in running_before)
    assert names_by_id  # the lab has its hosts
