"""allocation_state and cluster_info backends against a private simulator: the target picked and narrowed,
check mode, diff, idempotence; one cluster read with its hosts, VMs, problems and the VMs no longer running."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError, NotFoundError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.allocation import AllocationStateBackend
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.cluster import ClusterInfoBackend


def allocate(client, state="disabled", check_mode=False, diff=True, **target):
    params = dict(zone=None, pod=None, cluster=None, state=state)
    params.update(target)
    return AllocationStateBackend(client, params, check_mode, diff).run()


def info(client, **extra):
    params = dict(name="lab-cluster1", id=None, zone=None, pod=None, running_vms=None)
    params.update(extra)
    return ClusterInfoBackend(client, params, False, False, Deadline(30)).run()


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


@pytest.mark.parametrize("target,kind,command,lister", [
    (dict(cluster="lab-cluster1"), "cluster", "updateCluster", "listClusters"),
    (dict(zone="lab-zone1", pod="lab-pod2"), "pod", "updatePod", "listPods"),
    (dict(zone="lab-zone2"), "zone", "updateZone", "listZones"),
])
def test_disable_check_mode_apply_idempotence_enable(control, client, target, kind, command, lister):
    mark = control.mark()
    check = allocate(client, check_mode=True, **target)
    assert check["changed"] is True and check["kind"] == kind and writes(control, mark) == []
    assert check["diff"] == {"before": {"allocationstate": "Enabled"}, "after": {"allocationstate": "Disabled"}}

    result = allocate(client, **target)
    assert result["changed"] is True and result["allocationstate"] == "Disabled"
    assert writes(control, mark) == [command]
    assert client.list(lister, {"id": result["id"]})[0]["allocationstate"] == "Disabled"

    mark = control.mark()
    assert allocate(client, **target)["changed"] is False and writes(control, mark) == []
    assert allocate(client, state="enabled", **target)["allocationstate"] == "Enabled"
    assert writes(control, mark) == [command]


def test_narrowing_zone_that_does_not_hold_the_cluster(control, client):
    mark = control.mark()
    with pytest.raises(NotFoundError) as error:
        allocate(client, zone="lab-zone2", cluster="lab-cluster1")
    assert error.value.message.startswith("disable cluster lab-cluster1: cluster lab-cluster1 for zoneid ")
    assert writes(control, mark) == []


def test_cluster_info_reads_hosts_vms_and_problems(control, client):
    mark = control.mark()
    result = info(client)
    assert [r["command"] for r in control.requests(mark)] == [
        "listClusters", "listHosts", "listVirtualMachines", "listRouters", "listSystemVms"]
    assert result["cluster"]["name"] == "lab-cluster1" and result["cluster"]["cpuovercommitratio"] == "2.0"
    assert [h["name"] for h in result["hosts"]] == ["kvm1", "kvm4", "kvm5"]
    kvm1 = result["hosts"][0]
    assert kvm1["cpu_capacity_mhz"] == 2 * kvm1["cpu_total_mhz"] > 0
    names = {vm["name"]: vm for vm in result["vms"]}
    assert names["web-1"]["kind"] == "user" and names["r-10-VM"]["kind"] == "router"
    assert names["s-1-VM"]["kind"] == "systemvm" and "app-2" not in names  # app-2 runs in lab-cluster2
    assert result["transitional"] == [] and result["problems"] == []
    assert "not_running" not in result

    control.add_fault("host_state", host="kvm5", state="Alert")
    elsewhere = client.list("listVirtualMachines", {"listall": True, "name": "app-2"})[0]["id"]
    gone = "00000000-0000-4000-8000-000000000000"
    running = [vm["id"] for vm in result["vms"] if vm["kind"] == "user"] + [elsewhere, gone]
    mark = control.mark()
    later = info(client, running_vms=running)
    assert later["problems"] == ["host kvm5 is Alert"]
    # app-2 runs in another cluster (read once more, by ids); the unknown id is not running anywhere: CloudStack
    # refuses ids naming no VM, so both are then read alone
    assert later["not_running"] == [gone]
    assert [r["command"] for r in control.requests(mark)].count("listVirtualMachines") == 1 + 1 + 2


def test_cluster_info_sees_vms_stopped_by_a_last_host_maintenance(control, client):
    """With kvm4 and kvm5 disabled, kvm1 is the last usable host of its cluster: its maintenance stops the user
    VMs, and the gate reports them as no longer running."""
    control.set_job_durations(vmMigration=0.05, prepareHostForMaintenance=0.05)
    before = info(client)
    running = [vm["id"] for vm in before["vms"] if vm["kind"] == "user" and vm["hostname"] == "kvm1"]
    hosts = {h["name"]: h["id"] for h in before["hosts"]}
    for name in ("kvm4", "kvm5"):
        client.request("updateHost", {"id": hosts[name], "allocationstate": "Disable"})
    jobid = client.submit("prepareHostForMaintenance", {"id": hosts["kvm1"]})["jobid"]
    client.waiter.job(jobid, "prepareHostForMaintenance", Deadline(10))
    state, done = client.waiter.until(
        lambda: client.list("listHosts", {"id": hosts["kvm1"]})[0]["resourcestate"],
        lambda value: value == "Maintenance", Deadline(10))
    assert done, state
    result = info(client, running_vms=running)
    assert running and result["not_running"] == running


def test_cluster_info_unknown_cluster(control, client):
    with pytest.raises(CloudStackError) as error:
        info(client, name="no-such-cluster")
    assert error.value.message == "cluster no-such-cluster: not found"
