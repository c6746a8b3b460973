"""startRollingMaintenance: async; the run itself is cssim.rolling (a thread per job, like CloudStack's manager).

StartRollingMaintenanceCmd's job has no instance; the lab gives each job an instance id of its own so that jobs
do not queue behind one another (CloudStack runs them side by side)."""

import uuid

from .. import rolling
from ..registry import command


@command("startRollingMaintenance", params={
    "podids": "list:uuid:pod", "clusterids": "list:uuid:cluster", "zoneids": "list:uuid:zone",
    "hostids": "list:uuid:host", "forced": "boolean", "payload": "string", "timeout": "integer",
}, begin=rolling.begin, progress=rolling.progress, complete=rolling.complete)
def start_rolling_maintenance(ctx, p):
    scope = next((name for name in rolling.SCOPES if p.get(name)), None)
    args = {"scope": scope, "ids": list(p[scope]) if scope else [], "forced": bool(p.get("forced")),
            "payload": p.get("payload"), "timeout": p.get("timeout")}
    if scope is None:  # RollingMaintenanceManagerImpl checks it inside the job
        args["error"] = ("Parameters podId, clusterId, zoneId, hostId are mutually exclusive, please set only one "
                         "of them")
    return {"jobid": ctx.submit_job(None, str(uuid.uuid4()), args)}
