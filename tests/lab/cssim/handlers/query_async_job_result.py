from ..registry import command


@command("queryAsyncJobResult", params={"jobid": "uuid:job!", "resourceid": "~uuid", "resourcetype": "~string"})
def query_async_job_result(ctx, p):
    ctx.jobs.tick()
    return ctx.jobs.response(ctx, ctx.world.get("job", p["jobid"]))
