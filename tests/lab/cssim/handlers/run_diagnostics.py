"""runDiagnostics: ping, traceroute or arping from a system VM or router (see cssim.diagnostics)."""

from .. import diagnostics
from ..registry import command


@command("runDiagnostics", params={"targetid": "uuid!", "ipaddress": "string!", "type": "string!",
                                   "params": "string"},
         begin=diagnostics.run_begin, complete=diagnostics.run_complete, instance_type="SystemVm")
def run_diagnostics(ctx, p):
    diagnostics.check_target_param(ctx, p["targetid"])
    args = {"type": p["type"], "ipaddress": p["ipaddress"], "params": p.get("params")}
    return {"jobid": ctx.submit_job("SystemVm", p["targetid"], args)}
