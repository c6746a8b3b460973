"""The systemvm backend against a private simulator: recreation with same-named templates of two hypervisors,
everything a destroy depends on checked before the first destroy, wait_timeout as a true bound with slow polls,
and the per-VM report kept when a replacement is late."""

import time

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError, ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._systemvm.backend import SystemVmBackend
from ansible_collections.csops.cloudstack.plugins.module_utils._template.backend import TemplateBackend

NEW = "systemvm-4.20.1"
OLD = "systemvm-kvm-4.19.0"


def params(**extra):
    base = dict(name=None, id=None, type=None, zone=None, hypervisor=None, state="recreated", host=None,
                version=None, template=None, forced=False, wait=True, wait_timeout=30)
    base.update(extra)
    return base


def backend(client, check_mode=False, diff=False, **extra):
    args = params(**extra)
    return SystemVmBackend(client, args, check_mode, diff, Deadline(args["wait_timeout"]))


def register(client, name, hypervisor, set_router_template=False):
    """Register a system VM template and wait until it is ready (the lab's seeded OS type: XenServer has no
    system VM template to take it from)."""
    ostype = client.list("listTemplates", {"templatefilter": "all", "name": OLD})[0]["ostypeid"]
    args = dict(name=name, url="http://download.lab.invalid/%s-%s.img" % (name, hypervisor.lower()), checksum=None,
                hypervisor=hypervisor, format=None, display_text=None, zones=None, os_type_id=ostype,
                template_type="system", set_router_template=set_router_template, wait=True, wait_timeout=30)
    return TemplateBackend(client, args, False, False, Deadline(30)).run()["template"]


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def systemvms(client):
    return {vm["name"]: vm for vm in client.list("listSystemVms")}


@pytest.mark.parametrize("hypervisor", ["KVM", None])
def test_same_named_templates_of_two_hypervisors(control, client, hypervisor):
    """Two templates called NEW, for KVM and for XenServer (registered last, so the newest of the name): the
    recreation looks the template up for the VMs' hypervisor, given or taken from the VMs."""
    kvm = register(client, NEW, "kvm", set_router_template=True)
    xen = register(client, NEW, "xenserver")
    assert kvm["id"] != xen["id"]
    mark = control.mark()
    result = backend(client, type="consoleproxy", zone="lab-zone1", template=NEW, hypervisor=hypervisor).run()
    item = result["systemvms"][0]
    assert result["changed"] is True and item["name"] == "v-2-VM" and item["action"] == "destroy"
    assert item["after"]["state"] == "Running" and item["after"]["templatename"] == NEW
    assert writes(control, mark) == ["destroySystemVm"]
    assert systemvms(client)[item["after"]["name"]]["templateid"] == kvm["id"]

    mark = control.mark()
    again = backend(client, type="consoleproxy", zone="lab-zone1", template=NEW, hypervisor=hypervisor).run()
    assert again["changed"] is False and writes(control, mark) == []


@pytest.mark.parametrize("extra,message", [
    (dict(version="4.2O"), "recreate system VM s-1-VM: version must be numbers separated by dots, like 4.20 or "
                           "4.20.1.0, got 4.2O"),
    (dict(id="not-a-uuid", name=None), "recreate system VM not-a-uuid: id must be a UUID, got not-a-uuid"),
])
def test_malformed_input_is_refused_before_anything_is_sent(control, client, extra, message):
    mark = control.mark()
    with pytest.raises(ValidationError) as info:
        backend(client, **dict(dict(name="s-1-VM"), **extra)).run()
    assert info.value.message == message
    assert control.requests(mark) == []


@pytest.mark.parametrize("extra,message", [
    (dict(version="9.9"), "recreate secondarystoragevm system VMs: version 9.9: a new system VM runs the "
                          "management server's version 4.20.1.0, so it can never match; nothing was destroyed"),
    (dict(template="no-such-template"), "recreate secondarystoragevm system VMs: template no-such-template for "
                                        "hypervisor KVM: not found"),
    (dict(template=NEW), "recreate system VM s-1-VM: CloudStack would recreate it from %s (the newest ready KVM "
                         "system VM template in zone lab-zone1), not from %s; make that template ready first; "
                         "nothing was destroyed" % ("systemvm-kvm-4.19.1", NEW)),
])
def test_what_a_destroy_depends_on_is_checked_before_the_first_destroy(control, client, extra, message):
    """A wrong version, a template that names nothing, and a template CloudStack would not recreate from (a
    newer ready one exists): refused with nothing destroyed, and a rerun refuses the same way."""
    register(client, NEW, "kvm")
    time.sleep(1.1)  # ``created`` counts seconds
    register(client, "systemvm-kvm-4.19.1", "kvm")  # newer than NEW: CloudStack would pick this one
    before = systemvms(client)
    for _run in range(2):
        mark = control.mark()
        with pytest.raises(CloudStackError) as info:
            backend(client, type="secondarystoragevm", **extra).run()
        assert info.value.message.startswith(message.split(": ", 1)[0]), info.value.message
        assert message.split(": ", 1)[1] in info.value.message
        assert writes(control, mark) == []
    assert systemvms(client).keys() == before.keys()


def test_check_mode_with_a_template_not_registered_yet(control, client):
    mark = control.mark()
    result = backend(client, check_mode=True, diff=True, type="consoleproxy", template=NEW).run()
    assert result["changed"] is True and [v["action"] for v in result["systemvms"]] == ["destroy", "destroy"]
    assert result["diff"]["after"]["v-2-VM"]["replaced_by"] == "(new VM)"
    assert writes(control, mark) == []


def test_late_replacement_keeps_the_report(control, client):
    """The replacement takes 60 s to appear: the task fails at its 4 s wait_timeout, naming the VM, the destroy
    job and the timeout, with the per-VM report and changed=true (the VM was destroyed)."""
    register(client, NEW, "kvm", set_router_template=True)
    control.set_job_durations(systemVmRecreate=60)
    start = time.monotonic()
    with pytest.raises(CloudStackError) as info:
        backend(client, name="s-1-VM", template=NEW, wait_timeout=4).run()
    elapsed = time.monotonic() - start
    assert elapsed < 4.8, "took %.1fs for a 4s wait_timeout" % elapsed
    error = info.value
    jobid = error.result["systemvms"][0]["jobid"]
    assert error.message == ("recreate system VM s-1-VM: destroyed (job %s), but CloudStack created no "
                             "replacement within wait_timeout (4s)" % jobid)
    assert error.result["changed"] is True and error.result["jobid"] == jobid
    assert [(v["name"], v["action"], v["changed"]) for v in error.result["systemvms"]] == [
        ("s-1-VM", "destroy", True)]
    assert "s-1-VM" not in systemvms(client)


@pytest.mark.parametrize("latency", [1.5, 4])
def test_slow_polls_cannot_stretch_the_replacement_wait(control, client, latency):
    """Every listSystemVms answer is delayed: the wait still ends at wait_timeout (+ a small margin) and the
    message names the VM and the timeout."""
    register(client, NEW, "kvm", set_router_template=True)
    control.set_job_durations(systemVmRecreate=60)
    control.add_fault({"kind": "latency", "command": "listSystemVms", "seconds": latency})
    start = time.monotonic()
    with pytest.raises(CloudStackError) as info:
        backend(client, name="v-2-VM", template=NEW, wait_timeout=8).run()
    elapsed = time.monotonic() - start
    assert elapsed < 8.8, "took %.1fs for an 8s wait_timeout" % elapsed
    message = info.value.message
    assert message.startswith("recreate system VM v-2-VM: "), message
    assert "wait_timeout (8s)" in message or "the wait_timeout of 8s ran out" in message, message
    assert "\n" not in message
