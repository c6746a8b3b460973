from ..registry import command
from . import _router_power as power


@command("rebootRouter", params={"id": "uuid:router!", "forced": "boolean"}, begin=power.begin,
         progress=power.progress, complete=power.complete, revert=power.revert, instance_type="DomainRouter")
def reboot_router(ctx, p):
    return {"jobid": ctx.submit_job("DomainRouter", p["id"], {"forced": p.get("forced", False)})}
