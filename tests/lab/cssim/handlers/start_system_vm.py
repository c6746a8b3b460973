from .. import errors
from ..registry import command
from ._systemvm_power import result, set_agent_state, submit, usable_host, vm_of


def begin(ctx, job):
    vm = vm_of(ctx, job)
    job["args"]["from_state"] = vm["state"]
    if vm["state"] == "Stopped":
        vm["state"] = "Starting"


def complete(ctx, job):
    vm = vm_of(ctx, job)
    if vm["state"] == "Running":
        return result(ctx, vm)
    host = ctx.world.get("host", vm.get("lasthostid"))
    if not usable_host(host):
        host = next((h for h in ctx.world.all("host").values()
                     if usable_host(h) and h["zoneid"] == vm["zoneid"]), None)
    if host is None:
        raise errors.ApiError(errors.INTERNAL_ERROR, "Fail to start system vm")
    vm.update(state="Running", hostid=host["id"], lasthostid=host["id"], podid=host["podid"])
    set_agent_state(ctx, vm, "Up")
    return result(ctx, vm)


def revert(ctx, job):
    vm = vm_of(ctx, job)
    if vm["state"] == "Starting":
        vm["state"] = job["args"].get("from_state", "Stopped")


@command("startSystemVm", params={"id": "uuid:systemvm!"},
         begin=begin, complete=complete, revert=revert, instance_type="SystemVm")
def start_system_vm(ctx, p):
    return submit(ctx, p)
