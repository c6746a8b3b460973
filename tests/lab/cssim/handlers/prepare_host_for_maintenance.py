"""prepareHostForMaintenance: async; the job runs ResourceManagerImpl.maintain's checks and ends (answering the
host) once the host is in PrepareForMaintenance. The drain continues on its own (cssim.maintenance)."""

from .. import errors, maintenance, render
from ..registry import command


def complete(ctx, job):
    try:
        host = maintenance.prepare(ctx, job["instanceid"])
    except errors.ApiError as exc:
        # PrepareForMaintenanceCmd.execute wraps the CloudRuntimeException
        raise errors.ApiError(errors.INTERNAL_ERROR, "Failed to prepare host for maintenance due to: %s"
                              % exc.errortext, exc.cserrorcode) from None
    return render.host(ctx, host)


@command("prepareHostForMaintenance", params={"id": "uuid:host!"}, complete=complete, instance_type="Host")
def prepare_host_for_maintenance(ctx, p):
    return {"jobid": ctx.submit_job("Host", p["id"])}
