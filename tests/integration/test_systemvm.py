"""csops.cloudstack.systemvm through real playbook runs against the lab: stop/start, restart, migrate and
recreate (destroy, then wait for CloudStack's replacement on the new template and version), check mode, diff,
idempotence, bad input; the simulator's request log proves which calls were made."""

import pytest
from cs import CloudStack

NEW = "systemvm-kvm-4.20.1"
NEW_URL = "http://download.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    control = request.getfixturevalue("control")
    control.reset()
    control.set_job_durations(startSystemVm=0.5, stopSystemVm=0.5, rebootSystemVm=0.5, destroySystemVm=0.5,
                              migrateSystemVm=0.5, systemVmRecreate=1.0, templateDownload=0.5)
    yield
    control.reset()


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def vms(api):
    return {vm["name"]: vm for vm in api.listSystemVms().get("systemvm") or []}


def test_stop_check_mode_apply_and_idempotence(ansible, control, api):
    mark = control.mark()
    check = ansible.module("systemvm", {"name": "s-1-VM", "state": "stopped"}, check=True, diff=True)
    assert not check.get("failed"), check.get("msg")
    assert check["changed"] is True and check["systemvms"][0]["action"] == "stop"
    assert check["diff"]["before"]["s-1-VM"]["state"] == "Running"
    assert check["diff"]["after"]["s-1-VM"]["state"] == "Stopped"
    assert writes(control, mark) == []
    assert vms(api)["s-1-VM"]["state"] == "Running"

    mark = control.mark()
    stop = ansible.module("systemvm", {"name": "s-1-VM", "state": "stopped"}, diff=True)
    assert stop["changed"] is True, stop.get("msg")
    assert stop["systemvms"][0]["after"]["state"] == "Stopped" and stop["systemvms"][0]["jobid"]
    assert writes(control, mark) == ["stopSystemVm"]
    assert vms(api)["s-1-VM"]["state"] == "Stopped"

    mark = control.mark()
    again = ansible.module("systemvm", {"name": "s-1-VM", "state": "stopped"})
    assert again["changed"] is False and again["systemvms"][0]["action"] is None
    assert writes(control, mark) == []


def test_start_by_type_and_zone(ansible, control, api):
    mark = control.mark()
    result = ansible.module("systemvm", {"type": "secondarystoragevm", "zone": "lab-zone1", "state": "started"})
    assert result["changed"] is True, result.get("msg")
    assert [(v["name"], v["action"], v["after"]["state"]) for v in result["systemvms"]] == [
        ("s-1-VM", "start", "Running")]
    assert writes(control, mark) == ["startSystemVm"]
    mark = control.mark()
    assert ansible.module("systemvm", {"type": "secondarystoragevm", "state": "started"})["changed"] is False
    assert writes(control, mark) == []


def test_restart_always_reboots(ansible, control):
    mark = control.mark()
    result = ansible.module("systemvm", {"name": "v-2-VM", "state": "restarted"})
    assert result["changed"] is True and result["systemvms"][0]["after"]["state"] == "Running", result.get("msg")
    assert writes(control, mark) == ["rebootSystemVm"]


def test_migrate(ansible, control, api):
    """The lab has one host per cluster, so a live migration can only be refused: the module reports
    CloudStack's reason; migrating to the host the VM is on changes nothing."""
    here = vms(api)["v-2-VM"]["hostname"]
    other = "kvm1" if here == "kvm2" else "kvm2"
    mark = control.mark()
    same = ansible.module("systemvm", {"name": "v-2-VM", "state": "migrated", "host": here}, diff=True)
    assert same["changed"] is False and same["systemvms"][0]["action"] is None, same.get("msg")
    assert same["diff"]["before"] == same["diff"]["after"]
    assert writes(control, mark) == []

    check = ansible.module("systemvm", {"name": "v-2-VM", "state": "migrated", "host": other}, check=True,
                           diff=True)
    assert check["changed"] is True and check["systemvms"][0]["action"] == "migrate"
    assert check["diff"]["after"]["v-2-VM"]["hostname"] == other
    assert writes(control, mark) == []

    result = ansible.module("systemvm", {"name": "v-2-VM", "state": "migrated", "host": other})
    assert result["failed"] is True
    assert result["msg"].startswith("migrate system VM v-2-VM: migrateSystemVm job ")
    assert "Source and destination host are not in same cluster" in result["msg"] and "\n" not in result["msg"]
    assert writes(control, mark) == ["migrateSystemVm"]
    assert vms(api)["v-2-VM"]["hostname"] == here


def test_recreate_waits_for_replacement_on_new_template(ansible, control, api):
    template = ansible.module("systemvm_template", {"name": NEW, "url": NEW_URL, "hypervisor": "kvm",
                                                    "set_router_template": True})
    assert template.get("failed") is not True, template.get("msg")

    mark = control.mark()
    check = ansible.module("systemvm", {"type": "consoleproxy", "state": "recreated", "template": NEW},
                           check=True)
    assert check["changed"] is True and [v["action"] for v in check["systemvms"]] == ["destroy", "destroy"]
    assert check["expected_version"] == "4.20.1.0"
    assert writes(control, mark) == []

    mark = control.mark()
    result = ansible.module("systemvm", {"type": "consoleproxy", "zone": "lab-zone1", "state": "recreated",
                                         "template": NEW, "wait_timeout": 60}, diff=True)
    assert not result.get("failed"), result.get("msg")
    item = result["systemvms"][0]
    assert item["name"] == "v-2-VM" and item["action"] == "destroy"
    assert item["after"]["name"] != "v-2-VM" and item["after"]["state"] == "Running"
    assert item["after"]["version"] == "4.20.1.0" and item["after"]["templatename"] == NEW
    assert result["diff"]["after"]["v-2-VM"]["replaced_by"] == item["after"]["name"]
    assert writes(control, mark) == ["destroySystemVm"]
    now = vms(api)
    assert "v-2-VM" not in now and now[item["after"]["name"]]["templatename"] == NEW

    mark = control.mark()
    again = ansible.module("systemvm", {"type": "consoleproxy", "zone": "lab-zone1", "state": "recreated",
                                        "template": NEW})
    assert again["changed"] is False and again["systemvms"][0]["name"] == item["after"]["name"]
    assert writes(control, mark) == []


def test_recreate_defaults_to_the_management_server_version(ansible, control):
    """v-4-VM already reports the management server's version (listCapabilities): nothing to recreate."""
    mark = control.mark()
    result = ansible.module("systemvm", {"name": "v-4-VM", "state": "recreated"}, diff=True)
    assert result["changed"] is False, result.get("msg")
    assert result["expected_version"] == "4.20.1.0"
    assert result["systemvms"][0]["action"] is None and result["systemvms"][0]["after"]["name"] == "v-4-VM"
    assert result["diff"]["before"] == result["diff"]["after"]
    assert writes(control, mark) == []


def test_recreate_refuses_a_version_no_replacement_can_have(ansible, control, api):
    """A new system VM reports the management server's version: 9.9 can never come, so nothing is destroyed
    (and a rerun does not destroy the next VM either)."""
    for _run in range(2):
        mark = control.mark()
        result = ansible.module("systemvm", {"type": "secondarystoragevm", "state": "recreated", "version": "9.9",
                                             "wait_timeout": 10})
        assert result["failed"] is True and result["changed"] is False
        assert result["msg"] == ("recreate secondarystoragevm system VMs: version 9.9: a new system VM runs the "
                                 "management server's version 4.20.1.0, so it can never match; nothing was "
                                 "destroyed")
        assert writes(control, mark) == []
    assert {"s-1-VM", "s-3-VM"} <= set(vms(api))


@pytest.mark.parametrize("args,message", [
    ({"name": "no-such-VM", "state": "stopped"}, "stop system VM no-such-VM: not found"),
    ({"name": "s-1-VM", "state": "migrated"}, "state is migrated but all of the following are missing: host"),
    ({"name": "s-1-VM", "state": "migrated", "host": "no-such-host"},
     "migrate system VM s-1-VM: host no-such-host: not found"),
    ({"type": "secondarystoragevm", "zone": "no-such-zone", "state": "stopped"},
     "stop secondarystoragevm system VMs of zone no-such-zone: zone no-such-zone: not found"),
    ({"id": "not-a-uuid", "state": "started"}, "id must be a UUID, got not-a-uuid"),
    ({"state": "started"}, "one of the following is required: name, id, type"),
    ({"name": "s-1-VM", "state": "recreated", "template": "no-such-template"},
     "recreate system VM s-1-VM: template no-such-template for hypervisor KVM: not found"),
    # empty selectors never mean "every system VM"
    ({"name": "", "state": "stopped"}, "name must not be empty (leave it out instead)"),
    ({"id": "", "state": "stopped"}, "id must not be empty (leave it out instead)"),
    ({"type": "secondarystoragevm", "zone": "", "state": "stopped"}, "zone must not be empty (leave it out instead)"),
    ({"type": "consoleproxy", "hypervisor": " ", "state": "stopped"},
     "hypervisor must not be empty (leave it out instead)"),
    ({"name": "s-1-VM", "state": "recreated", "template": ""}, "template must not be empty (leave it out instead)"),
    ({"name": "s-1-VM", "state": "recreated", "version": "4.2O"},
     "recreate system VM s-1-VM: version must be numbers separated by dots, like 4.20 or 4.20.1.0, got 4.2O"),
    ({"name": "s-1-VM", "state": "stopped", "wait_timeout": 0}, "wait_timeout must be between 1 and"),
])
def test_bad_input_is_one_line_and_writes_nothing(ansible, control, args, message):
    mark = control.mark()
    result = ansible.module("systemvm", args)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith(message), result["msg"]
    assert result["msg"] == message or message.endswith(" and")
    assert writes(control, mark) == []


def test_job_failure_reports_cloudstack_error(ansible, control):
    control.add_fault({"kind": "job_fail", "command": "stopSystemVm", "errortext": "Unable to stop s-1-VM"})
    result = ansible.module("systemvm", {"name": "s-1-VM", "state": "stopped"})
    assert result["failed"] is True
    assert result["msg"].startswith("stop system VM s-1-VM: stopSystemVm job ")
    assert result["msg"].endswith("failed: Unable to stop s-1-VM (errorcode 530)")
    assert result["jobid"]


def test_hanging_job_times_out_with_one_line(ansible, control):
    control.add_fault({"kind": "job_hang", "command": "rebootSystemVm"})
    result = ansible.module("systemvm", {"name": "s-1-VM", "state": "restarted", "wait_timeout": 2})
    assert result["failed"] is True
    assert result["msg"].startswith("restart system VM s-1-VM: rebootSystemVm job "), result["msg"]
    assert "did not finish within wait_timeout (2s, polled " in result["msg"]
    assert result["msg"].endswith("; it may still be running in CloudStack")
    assert result["jobid"] and result["systemvms"][0]["jobid"] == result["jobid"]
