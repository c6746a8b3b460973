"""cancelHostMaintenance: async; from any maintenance state back to Enabled, stopping a drain in progress
(cssim.maintenance.cancel). A host in no maintenance state fails the job with CloudStack's text."""

from .. import maintenance, render
from ..registry import command


def complete(ctx, job):
    return render.host(ctx, maintenance.cancel(ctx, job["instanceid"]))


@command("cancelHostMaintenance", params={"id": "uuid:host!"}, complete=complete, instance_type="Host")
def cancel_host_maintenance(ctx, p):
    return {"jobid": ctx.submit_job("Host", p["id"])}
