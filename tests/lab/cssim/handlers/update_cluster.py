"""updateCluster: sync; the lab simulates ``allocationstate`` (Enabled/Disabled)."""

from .. import render
from ..registry import command
from ._allocation import apply


@command("updateCluster", params={
    "id": "uuid:cluster!", "allocationstate": "string", "arch": "~string", "clustername": "~string",
    "clustertype": "~string", "externaldetails": "~map", "hypervisor": "~string", "managedstate": "~string",
})
def update_cluster(ctx, p):
    cluster = ctx.world.get("cluster", p["id"])
    apply(cluster, p.get("allocationstate"))
    return ctx.object_body(render.cluster(ctx, cluster))
