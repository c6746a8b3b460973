"""Helpers for start/stop/rebootSystemVm (this module registers no command).

The handler only submits a job; the job's hooks move the VM through its states:
begin (when the job starts executing), complete (when it is due) and revert (when it fails).
"""

import time

from .. import errors, render
from ..world import stable_id


def vm_of(ctx, job):
    vm = ctx.world.get("systemvm", job["instanceid"])
    if vm is None:  # destroyed while this job waited in the queue
        raise errors.ApiError(errors.INTERNAL_ERROR, "Unable to find system vm with id %s" % job["instanceid"],
                              errors.CS_CLOUD_RUNTIME)
    return vm


def set_agent_state(ctx, vm, state):
    """SSVM/CPVM agents have a host row of their own; it follows the VM."""
    agent = ctx.world.get("host", stable_id("host", vm["name"]))
    if agent:
        agent["state"] = state
        if state == "Up":
            agent.pop("disconnected", None)
        else:
            agent["disconnected"] = time.time()


def result(ctx, vm):
    return render.systemvm(ctx, vm, with_job=False)


def submit(ctx, p, **args):
    return {"jobid": ctx.submit_job("SystemVm", p["id"], args)}


def usable_host(host):
    return host and host["type"] == "Routing" and host["state"] == "Up" and host["resourcestate"] == "Enabled"
