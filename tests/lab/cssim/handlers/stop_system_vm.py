from ..registry import command
from ._systemvm_power import result, set_agent_state, submit, vm_of


def begin(ctx, job):
    vm = vm_of(ctx, job)
    job["args"]["from_state"] = vm["state"]
    if vm["state"] == "Running":
        vm["state"] = "Stopping"


def complete(ctx, job):
    vm = vm_of(ctx, job)
    if vm["state"] != "Stopped":  # stopping a stopped VM succeeds, as in CloudStack
        vm["state"] = "Stopped"
        vm["lasthostid"] = vm.get("hostid") or vm.get("lasthostid")
        vm["hostid"] = None
        set_agent_state(ctx, vm, "Disconnected")
    return result(ctx, vm)


def revert(ctx, job):
    vm = vm_of(ctx, job)
    if vm["state"] == "Stopping":
        vm["state"] = job["args"].get("from_state", "Running")


@command("stopSystemVm", params={"id": "uuid:systemvm!", "forced": "boolean"},
         begin=begin, complete=complete, revert=revert, instance_type="SystemVm")
def stop_system_vm(ctx, p):
    return submit(ctx, p, forced=p.get("forced", False))
