"""updatePod: sync; the lab simulates ``allocationstate`` (Enabled/Disabled)."""

from .. import render
from ..registry import command
from ._allocation import apply


@command("updatePod", params={
    "id": "uuid:pod!", "allocationstate": "string", "endip": "~string", "gateway": "~string", "name": "~string",
    "netmask": "~string", "startip": "~string",
})
def update_pod(ctx, p):
    pod = ctx.world.get("pod", p["id"])
    apply(pod, p.get("allocationstate"))
    return ctx.object_body(render.pod(ctx, pod))
