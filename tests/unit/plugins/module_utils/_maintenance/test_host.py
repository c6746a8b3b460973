"""The host backend against a private simulator (A real client, signed requests; the simulator drains hosts by
live-migrating their VMs on its own clock): maintenance with the drain reported, every refusal changing nothing,
ErrorInMaintenance naming the VMs and restoring the host, a stuck drain bounded by wait_timeout, check mode,
idempotence, enable and disable."""

import re
import time

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import NotFoundError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.errors import (
    MaintenanceError,
    RefusedError,
)
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance import host as host_module
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.host import HostBackend


@pytest.fixture
def fast(control):
    control.set_job_durations(vmMigration=0.1, prepareHostForMaintenance=0.1, cancelHostMaintenance=0.1)
    return control


def run(client, name="kvm1", state="maintenance", check_mode=False, diff=False, warnings=None, **extra):
    params = dict(name=name, id=None, zone=None, pod=None, cluster=None, state=state, on_error="cancel",
                  force=False, wait=True, wait_timeout=30)
    params.update(extra)
    warn = warnings.append if warnings is not None else None
    return HostBackend(client, params, check_mode, diff, Deadline(params["wait_timeout"]), warn=warn).run()


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def hosts(client):
    return {h["name"]: h for h in client.list("listHosts", {"type": "Routing"})}


def where(client):
    """VM name -> host name, for user VMs, routers and system VMs."""
    rows = (client.list("listVirtualMachines", {"listall": True}) + client.list("listRouters", {"listall": True})
            + client.list("listSystemVms"))
    return {vm["name"]: vm.get("hostname") for vm in rows}


def test_maintenance_reports_the_drain_and_is_idempotent(fast, client):
    before = where(client)
    on_kvm1 = sorted(name for name, host in before.items() if host == "kvm1")
    mark = fast.mark()
    result = run(client, diff=True)
    assert result["changed"] is True and result["host"]["resourcestate"] == "Maintenance"
    assert writes(fast, mark) == ["prepareHostForMaintenance"]
    assert sorted(item["name"] for item in result["drain"]) == on_kvm1 and on_kvm1
    after = where(client)
    for item in result["drain"]:
        # the report says what the API says: every VM left kvm1 for another host of the cluster
        assert item["from_host"] == "kvm1" and item["moved"] is True
        assert item["to_host"] == after[item["name"]] and item["to_host"] in ("kvm4", "kvm5")
    assert {item["kind"] for item in result["drain"]} == {"user", "router", "systemvm"}
    assert result["capacity"]["fits"] is True and result["forced"] is False
    assert result["diff"] == {"before": {"resourcestate": "Enabled"}, "after": {"resourcestate": "Maintenance"}}

    mark = fast.mark()
    again = run(client)
    assert again["changed"] is False and again["drain"] == [] and writes(fast, mark) == []
    assert [r["command"] for r in fast.requests(mark)] == ["listHosts"]

    mark = fast.mark()
    enabled = run(client, state="enabled")
    assert enabled["changed"] is True and enabled["host"]["resourcestate"] == "Enabled"
    assert writes(fast, mark) == ["cancelHostMaintenance"]
    assert run(client, state="enabled")["changed"] is False


def test_check_mode_lists_the_vms_that_would_move(fast, client):
    mark = fast.mark()
    result = run(client, check_mode=True, diff=True)
    assert result["changed"] is True and writes(fast, mark) == []
    assert sorted(i["name"] for i in result["drain"]) == sorted(n for n, h in where(client).items() if h == "kvm1")
    assert all(i["to_host"] is None and i["moved"] is False for i in result["drain"])
    assert result["diff"]["after"] == {"resourcestate": "Maintenance"}
    assert hosts(client)["kvm1"]["resourcestate"] == "Enabled"


def test_capacity_refusal_changes_nothing(fast, client):
    for name in ("kvm4", "kvm5"):
        run(client, name=name, state="disabled")
    mark = fast.mark()
    with pytest.raises(RefusedError) as info:
        run(client)
    message = info.value.message
    assert message.startswith("put host kvm1 into maintenance: the other Up and Enabled hosts of cluster "
                              "lab-cluster1 cannot hold its VMs together: no other host of the cluster is Up")
    assert message.endswith("nothing was changed (force: true goes ahead anyway)")
    assert info.value.result["capacity"]["fits"] is False and info.value.result["changed"] is False
    assert writes(fast, mark) == []
    assert hosts(client)["kvm1"]["resourcestate"] == "Enabled"


def test_force_goes_ahead_and_says_so(fast, client):
    run(client, name="kvm5", state="disabled")
    run(client, name="kvm4", state="disabled")
    warnings = []
    # nowhere to go: CloudStack stops the user VMs of the last usable host, and the drain says so
    result = run(client, force=True, warnings=warnings)
    assert result["forced"] is True and result["capacity"]["fits"] is False
    assert len(warnings) == 1 and warnings[0].startswith("force: the other Up and Enabled hosts of cluster")
    users = [i for i in result["drain"] if i["kind"] == "user"]
    assert users and all(i["state"] == "Stopped" and i["to_host"] is None and i["moved"] for i in users)
    states = {vm["name"]: vm["state"] for vm in client.list("listVirtualMachines", {"listall": True})}
    assert all(states[i["name"]] == "Stopped" for i in users)
    assert hosts(client)["kvm1"]["resourcestate"] == "Maintenance"


def test_error_in_maintenance_names_the_vms_and_restores(fast, client):
    fast.add_fault("vm_stuck", vm="web-2")
    mark = fast.mark()
    with pytest.raises(MaintenanceError) as info:
        run(client)
    message = info.value.message
    assert message.startswith("put host kvm1 into maintenance: it is ErrorInMaintenance with 1 VM still on it: "
                              "web-2 (i-2-21-VM); maintenance was cancelled, the host is Enabled again"), message
    assert writes(fast, mark) == ["prepareHostForMaintenance", "cancelHostMaintenance"]
    assert hosts(client)["kvm1"]["resourcestate"] == "Enabled"
    result = info.value.result
    assert result["changed"] is True
    stuck = [i for i in result["drain"] if not i["moved"]]
    assert [i["name"] for i in stuck] == ["web-2"] and where(client)["web-2"] == "kvm1"


def test_error_left_as_it_is(fast, client):
    fast.add_fault("vm_stuck", vm="web-2")
    with pytest.raises(MaintenanceError) as info:
        run(client, on_error="leave")
    assert info.value.message.endswith("web-2 (i-2-21-VM); left as it is (on_error=leave)")
    assert hosts(client)["kvm1"]["resourcestate"] == "ErrorInMaintenance"
    # a later run finds it so: it reports the VM and restores the host
    mark = fast.mark()
    with pytest.raises(MaintenanceError) as again:
        run(client)
    assert "it is ErrorInMaintenance with 1 VM still on it: web-2" in again.value.message
    assert writes(fast, mark) == ["cancelHostMaintenance"]
    assert hosts(client)["kvm1"]["resourcestate"] == "Enabled"


def test_stuck_drain_is_bounded_by_wait_timeout_and_cancelled(fast, client):
    fast.add_fault("maintenance_stuck", host="kvm1")
    started = time.monotonic()
    with pytest.raises(MaintenanceError) as info:
        run(client, wait_timeout=5)
    took = time.monotonic() - started
    assert took <= 5.5, took
    assert "still PrepareForMaintenance after the wait_timeout of 5s" in info.value.message
    assert info.value.message.endswith("maintenance was cancelled, the host is Enabled again")
    assert hosts(client)["kvm1"]["resourcestate"] == "Enabled"


def test_transitional_vms_refuse(fast, client):
    fast.set_job_durations(vmMigration=2.0)
    run(client, name="kvm4", wait=False)
    time.sleep(0.5)  # the drain of kvm4 has a VM Migrating now
    mark = fast.mark()
    with pytest.raises(RefusedError) as info:
        run(client)
    assert "are in a transitional state: " in info.value.message and "(Migrating)" in info.value.message
    assert writes(fast, mark) == []
    run(client, name="kvm4", state="enabled")


def test_disable_from_maintenance_and_enable(fast, client):
    run(client, name="kvm5")
    mark = fast.mark()
    result = run(client, name="kvm5", state="disabled")
    assert result["host"]["resourcestate"] == "Disabled"
    assert writes(fast, mark) == ["cancelHostMaintenance", "updateHost"]
    assert run(client, name="kvm5", state="disabled")["changed"] is False
    mark = fast.mark()
    assert run(client, name="kvm5", state="enabled")["host"]["resourcestate"] == "Enabled"
    assert writes(fast, mark) == ["updateHost"]


def test_unknown_host_sends_nothing(fast, client):
    mark = fast.mark()
    with pytest.raises(NotFoundError) as info:
        run(client, name="kvm99")
    assert info.value.message == "put host kvm99 into maintenance: host kvm99: not found"
    assert writes(fast, mark) == []


def test_host_not_up_is_refused_with_one_read(fast, client):
    fast.add_fault("host_state", host="kvm1", state="Disconnected")
    mark = fast.mark()
    with pytest.raises(RefusedError) as info:
        run(client)
    assert info.value.message == "put host kvm1 into maintenance: it is Disconnected, not Up; nothing was changed"
    assert [r["command"] for r in fast.requests(mark)] == ["listHosts"]


def test_stuck_drain_with_a_hung_cancel_fails_in_one_short_line(fast, client):
    """The cancel that restores the host hangs too: the message stays short and clear, without the job id,
    which is in the result."""
    fast.add_fault("maintenance_stuck", host="kvm1")
    fast.add_fault("job_hang", command="cancelHostMaintenance")
    with pytest.raises(MaintenanceError) as info:
        run(client, wait_timeout=5)
    message = info.value.message
    result = info.value.result
    assert len(message) <= 300, message
    assert message.endswith("cancelling maintenance did not finish in time either (see cancel_jobid)"), message
    assert result["cancel_jobid"] and result["cancel_jobid"] not in message
    assert result["cancel_jobid"] in result["cancel_error"]
    assert result["changed"] is True


def test_hung_prepare_job_names_a_rounded_budget(fast, client):
    """The prepare job hangs: the time in the message is the wait budget to a tenth, not 3.96617s."""
    fast.add_fault("job_hang", command="prepareHostForMaintenance")
    with pytest.raises(MaintenanceError) as info:
        run(client, wait_timeout=5)
    message = info.value.message
    assert "prepareHostForMaintenance job" in message
    budget = re.search(r"within wait_timeout \(([0-9.]+)s", message).group(1)
    assert re.fullmatch(r"\d+(\.\d)?", budget) and float(budget) <= 4.0, message


def test_many_stuck_vms_are_named_up_to_three():
    vms = [dict(name="vm-%d" % i, instancename="vm-%d" % i) for i in range(8)]
    assert host_module.vm_names(vms) == "vm-0, vm-1, vm-2 and 5 more"
    assert host_module.vm_names([]) == "none"
