"""csops.cloudstack.host through real playbook runs against the lab: kvm1 (a real lab host) into maintenance and
out again with the drain reported and checked against the API (every VM's host before and after), check mode,
idempotence, ErrorInMaintenance naming the VM and restoring the host, the capacity refusal and bad input changing
nothing (the simulator's request log proves which calls were made)."""

import pytest
from cs import CloudStack

DURATIONS = dict(vmMigration=0.2, prepareHostForMaintenance=0.2, cancelHostMaintenance=0.2)


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    control = request.getfixturevalue("control")
    control.reset()
    control.set_job_durations(**DURATIONS)
    yield
    control.reset()


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def resourcestate(api, name):
    return api.listHosts(name=name, type="Routing")["host"][0]["resourcestate"]


def placement(api):
    """VM id -> (name, host id, host name) for user VMs, routers and system VMs."""
    rows = ((api.listVirtualMachines(listall=True).get("virtualmachine") or [])
            + (api.listRouters(listall=True).get("router") or []) + (api.listSystemVms().get("systemvm") or []))
    return {vm["id"]: (vm["name"], vm.get("hostid"), vm.get("hostname")) for vm in rows}


def test_maintenance_check_apply_idempotence_and_back(ansible, control, api):
    before = placement(api)
    on_kvm1 = {vm_id for vm_id, (_n, _h, host) in before.items() if host == "kvm1"}
    assert on_kvm1

    mark = control.mark()
    check = ansible.module("host", {"name": "kvm1", "state": "maintenance"}, check=True, diff=True)
    assert not check.get("failed"), check.get("msg")
    assert check["changed"] is True and {i["id"] for i in check["drain"]} == on_kvm1
    assert check["diff"]["after"] == {"resourcestate": "Maintenance"}
    assert writes(control, mark) == [] and resourcestate(api, "kvm1") == "Enabled"

    mark = control.mark()
    result = ansible.module("host", {"name": "kvm1", "state": "maintenance"})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and result["host"]["resourcestate"] == "Maintenance"
    assert writes(control, mark) == ["prepareHostForMaintenance"]
    after = placement(api)
    # the drain is what the API shows: each VM that was on kvm1 is now on the host the report names
    assert {i["id"] for i in result["drain"]} == on_kvm1
    for item in result["drain"]:
        assert item["from_host"] == "kvm1" and after[item["id"]][1] != before[item["id"]][1]
        assert item["to_host"] == after[item["id"]][2] and item["to_host"] in ("kvm4", "kvm5")
    assert resourcestate(api, "kvm1") == "Maintenance"

    mark = control.mark()
    again = ansible.module("host", {"name": "kvm1", "state": "maintenance"})
    assert again["changed"] is False and writes(control, mark) == []

    mark = control.mark()
    back = ansible.module("host", {"name": "kvm1", "state": "enabled"})
    assert back["changed"] is True and back["host"]["resourcestate"] == "Enabled", back.get("msg")
    assert writes(control, mark) == ["cancelHostMaintenance"]
    mark = control.mark()
    assert ansible.module("host", {"name": "kvm1", "state": "enabled"})["changed"] is False
    assert writes(control, mark) == []


def test_error_in_maintenance_names_the_vm_and_restores(ansible, control, api):
    control.reset()
    control.set_job_durations(**DURATIONS)
    control.add_fault("vm_stuck", vm="web-2")
    mark = control.mark()
    result = ansible.module("host", {"name": "kvm1", "state": "maintenance"})
    assert result.get("failed") is True
    assert result["msg"].startswith("put host kvm1 into maintenance: it is ErrorInMaintenance with 1 VM still on "
                                    "it: web-2 (i-2-21-VM); maintenance was cancelled"), result["msg"]
    assert "\n" not in result["msg"] and "Traceback" not in result["_stdout"]
    assert writes(control, mark) == ["prepareHostForMaintenance", "cancelHostMaintenance"]
    assert resourcestate(api, "kvm1") == "Enabled"
    assert result["changed"] is True and [i["name"] for i in result["drain"] if not i["moved"]] == ["web-2"]


def test_capacity_refusal_changes_nothing(ansible, control, api):
    control.reset()
    control.set_job_durations(**DURATIONS)
    for name in ("kvm4", "kvm5"):
        assert ansible.module("host", {"name": name, "state": "disabled"})["changed"] is True
    mark = control.mark()
    result = ansible.module("host", {"name": "kvm1", "state": "maintenance"})
    assert result.get("failed") is True and result["changed"] is False
    assert "cannot hold its VMs together" in result["msg"] and "nothing was changed" in result["msg"]
    assert result["capacity"]["fits"] is False
    assert writes(control, mark) == [] and resourcestate(api, "kvm1") == "Enabled"


@pytest.mark.parametrize("args,message", [
    ({"id": "kvm1", "state": "maintenance"}, "id must be a UUID, got kvm1"),
    ({"name": "", "state": "maintenance"}, "name must not be empty (leave it out instead)"),
    ({"name": "kvm1", "state": "maintenance", "wait_timeout": 0}, "wait_timeout must be between 1 and"),
])
def test_bad_input_is_one_line_and_sends_nothing(ansible, control, args, message):
    mark = control.mark()
    result = ansible.module("host", args)
    assert result.get("failed") is True and message in result["msg"] and "\n" not in result["msg"]
    assert control.requests(mark) == []
