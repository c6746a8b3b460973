"""getDiagnosticsData: a zip of files and command output from a system VM or router, behind a URL
(see cssim.diagnostics)."""

from .. import diagnostics
from ..registry import command


@command("getDiagnosticsData", params={"targetid": "uuid!", "files": "list:string"},
         begin=diagnostics.data_begin, complete=diagnostics.data_complete, instance_type="SystemVm")
def get_diagnostics_data(ctx, p):
    diagnostics.check_target_param(ctx, p["targetid"])
    return {"jobid": ctx.submit_job("SystemVm", p["targetid"], {"files": p.get("files") or []})}
