"""destroySystemVm: the job stops and removes the VM (and its agent's host row); CloudStack then creates a
replacement of the same type (see cssim.lifecycle)."""

import time

from .. import lifecycle, render
from ..registry import command
from ..world import stable_id
from ._systemvm_power import set_agent_state, submit, vm_of


def begin(ctx, job):
    vm = vm_of(ctx, job)
    job["args"]["from_state"] = vm["state"]
    if vm["state"] == "Running":
        vm["state"] = "Stopping"


def complete(ctx, job):
    vm = vm_of(ctx, job)
    vm["lasthostid"] = vm.get("hostid") or vm.get("lasthostid")
    vm.update(state="Destroyed", hostid=None)
    set_agent_state(ctx, vm, "Removed")
    answer = render.systemvm(ctx, vm, with_job=False)
    lifecycle.schedule_replacement(ctx.world, vm, time.time() + ctx.jobs.duration("systemVmRecreate"))
    del ctx.world.all("systemvm")[vm["id"]]
    ctx.world.all("host").pop(stable_id("host", vm["name"]), None)
    return answer


def revert(ctx, job):
    vm = ctx.world.get("systemvm", job["instanceid"])
    if vm and vm["state"] == "Stopping":
        vm["state"] = job["args"].get("from_state", "Running")


@command("destroySystemVm", params={"id": "uuid:systemvm!"}, begin=begin, complete=complete, revert=revert,
         instance_type="SystemVm")
def destroy_system_vm(ctx, p):
    return submit(ctx, p)
