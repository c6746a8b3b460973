# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""csops.cloudstack.cluster_info through real playbook runs against the lab, checked against the API's own
listings: a quiet cluster (its hosts, capacity, every VM of every kind, no problems); a VM caught Migrating by a
drain that is slowed down (transitional, and a problem); a host forced to Alert (host_state fault: a problem); a
VM stopped by maintenance of the last host of its cluster (in not_running, a VM still Running elsewhere and a VM
that does not exist told apart). The world is reseeded before and after."""

import json
import os
import tempfile
import time
import uuid

import pytest
import yaml
from cs import CloudStack


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)


@pytest.fixture(autouse=True)
def reseeded(request):
    control = request.getfixturevalue("control")
    control.reset()
    control.set_job_durations(vmMigration=0.2, prepareHostForMaintenance=0.2, cancelHostMaintenance=0.2)
    yield
    control.clear_faults()
    control.reset()


def host(api, name):
    return api.listHosts(name=name, type="Routing")["host"][0]


def cluster_vms(api, cluster_name):
    """id -> (kind, state, hostname) of every VM on the cluster's hosts, from the API."""
    cluster = next(c for c in api.listClusters()["cluster"] if c["name"] == cluster_name)
    hosts = {h["id"] for h in api.listHosts(clusterid=cluster["id"], type="Routing")["host"]}
    found = {}
    for vm in api.listVirtualMachines(listall=True).get("virtualmachine") or []:
        if vm.get("hostid") in hosts:
            found[vm["id"]] = ("user", vm["state"], vm.get("hostname"))
    for vm in api.listRouters(listall=True).get("router") or []:
        if vm.get("hostid") in hosts:
            found[vm["id"]] = ("router", vm["state"], vm.get("hostname"))
    for vm in api.listSystemVms().get("systemvm") or []:
        if vm.get("hostid") in hosts:
            found[vm["id"]] = ("systemvm", vm["state"], vm.get("hostname"))
    return cluster, found


def wait_for(what, predicate, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


def test_quiet_cluster_matches_the_api(ansible, control, api):
    cluster, vms = cluster_vms(api, "lab-cluster1")
    mark = control.mark()
    info = ansible.module("cluster_info", {"name": "lab-cluster1", "zone": "lab-zone1"}, check=True)
    assert not info.get("failed"), info.get("msg")
    assert control.write_calls(mark) == []
    assert info["changed"] is False
    assert info["cluster"]["id"] == cluster["id"] and info["cluster"]["allocationstate"] == "Enabled"
    assert (info["cluster"]["cpuovercommitratio"], info["cluster"]["memoryovercommitratio"]) == ("2.0", "1.5")
    assert [h["name"] for h in info["hosts"]] == ["kvm1", "kvm4", "kvm5"]
    for row in info["hosts"]:
        listed = host(api, row["name"])
        assert (row["id"], row["state"], row["resourcestate"]) == (listed["id"], "Up", "Enabled")
        assert row["cpu_total_mhz"] == int(listed["cpunumber"]) * int(listed["cpuspeed"])
        assert row["cpu_capacity_mhz"] == row["cpu_total_mhz"] * 2
        assert row["memory_total"] == int(listed["memorytotal"])
        assert row["memory_capacity"] == int(row["memory_total"] * 1.5)
        assert row["cpu_allocated_mhz"] == int(float(listed["cpuallocatedvalue"]))
    # every VM on the cluster's hosts, of every kind, as the API lists it; user VMs first
    assert {vm["id"]: (vm["kind"], vm["state"], vm["hostname"]) for vm in info["vms"]} == vms
    kinds = [vm["kind"] for vm in info["vms"]]
    assert kinds == sorted(kinds, key=["user", "router", "systemvm"].index)
    assert {"user", "router", "systemvm"} <= set(kinds)
    assert info["transitional"] == [] and info["problems"] == []
    assert "not_running" not in info


def test_a_vm_caught_migrating_is_transitional(ansible, control, api):
    # a drain whose first migration takes ten minutes: the VM stays Migrating until maintenance is cancelled
    control.set_job_durations(vmMigration=600)
    kvm1 = host(api, "kvm1")
    api.prepareHostForMaintenance(id=kvm1["id"])

    def caught():
        vms = cluster_vms(api, "lab-cluster1")[1]
        return {vm_id: kind for vm_id, (kind, state, _h) in vms.items() if state == "Migrating"}

    migrating = wait_for("a VM of kvm1 Migrating", caught)
    try:
        info = ansible.module("cluster_info", {"name": "lab-cluster1"})
        assert not info.get("failed"), info.get("msg")
        assert {vm["id"]: vm["kind"] for vm in info["transitional"]} == migrating
        assert all(vm["state"] == "Migrating" and vm["hostname"] == "kvm1" for vm in info["transitional"])
        label = {"user": "VM", "router": "router", "systemvm": "systemvm"}
        assert info["problems"] == ["%s %s is Migrating" % (label[vm["kind"]], vm["name"])
                                    for vm in info["transitional"]]
        assert next(h for h in info["hosts"] if h["name"] == "kvm1")["resourcestate"] == "PrepareForMaintenance"
    finally:
        api.cancelHostMaintenance(id=kvm1["id"])
        wait_for("kvm1 Enabled", lambda: host(api, "kvm1")["resourcestate"] == "Enabled")
    assert cluster_vms(api, "lab-cluster1")[1][next(iter(migrating))][1] == "Running"


def test_a_host_in_alert_is_a_problem(ansible, control, api):
    control.add_fault("host_state", host="kvm4", state="Alert")
    info = ansible.module("cluster_info", {"name": "lab-cluster1"})
    assert not info.get("failed"), info.get("msg")
    assert info["problems"] == ["host kvm4 is Alert"]
    assert next(h for h in info["hosts"] if h["name"] == "kvm4")["state"] == "Alert"
    assert info["transitional"] == []
    control.clear_faults()
    assert host(api, "kvm4")["state"] == "Up"


def test_a_vm_stopped_by_maintenance_is_not_running(ansible, control, api):
    # kvm3 is the only host of lab-cluster3: maintenance stops its user VMs (CloudStack has nowhere to move them)
    _cluster, vms = cluster_vms(api, "lab-cluster3")
    batch = next(vm_id for vm_id, (kind, state, _h) in vms.items() if kind == "user" and state == "Running")
    elsewhere = next(vm["id"] for vm in api.listVirtualMachines(listall=True)["virtualmachine"]
                     if vm["name"] == "db-1")
    gone = str(uuid.uuid4())
    kvm3 = host(api, "kvm3")
    api.prepareHostForMaintenance(id=kvm3["id"])
    try:
        wait_for("kvm3 in Maintenance", lambda: host(api, "kvm3")["resourcestate"] == "Maintenance")
        stopped = api.listVirtualMachines(id=batch, listall=True)["virtualmachine"][0]
        assert stopped["state"] == "Stopped" and not stopped.get("hostid")
        running = [batch, elsewhere, gone]
        info = ansible.module("cluster_info", {"name": "lab-cluster3", "running_vms": running})
        assert not info.get("failed"), info.get("msg")
        # the stopped VM (no longer on any host of the cluster) and the one that never existed; db-1 runs on
        assert info["not_running"] == [batch, gone]
        assert batch not in {vm["id"] for vm in info["vms"]}
    finally:
        api.cancelHostMaintenance(id=kvm3["id"])
        wait_for("kvm3 Enabled", lambda: host(api, "kvm3")["resourcestate"] == "Enabled")


BAD = [
    ({"name": ""}, "name"),
    ({"id": "lab-cluster1"}, "id"),
    ({"name": "no-such-cluster"}, "no-such-cluster"),
    ({"name": "lab-cluster1", "zone": "lab-zone2"}, "lab-cluster1"),
    ({"name": "lab-cluster1", "running_vms": ["web-1"]}, "running_vms"),
    ({"name": "lab-cluster1", "id": "00000000-0000-0000-0000-000000000000"}, "name"),
]


def test_bad_input_is_one_line_and_sends_nothing_that_writes(ansible, control):
    """All cases as the tasks of one playbook (one ansible-playbook start)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "results.json")
        tasks = [{"name": "case %d" % i, "csops.cloudstack.cluster_info": args, "register": "r%d" % i,
                  "ignore_errors": True} for i, (args, _option) in enumerate(BAD)]
        tasks.append({"name": "save", "ansible.builtin.copy": {
            "content": "{{ [%s] | to_json }}" % ", ".join("r%d" % i for i in range(len(BAD))), "dest": out,
            "mode": "0600"}})
        path = os.path.join(tmp, "play.yml")
        with open(path, "w") as handle:
            yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], handle)
        mark = control.mark()
        proc = ansible.playbook(path)
        assert os.path.exists(out), proc.stdout[-3000:]
        with open(out) as handle:
            results = json.load(handle)
    assert "Traceback" not in proc.stdout
    for (args, option), result in zip(BAD, results):
        assert result.get("failed") is True and option in result["msg"], (args, result.get("msg"))
        assert "\n" not in result["msg"], (args, result["msg"])
    assert control.write_calls(mark) == []
