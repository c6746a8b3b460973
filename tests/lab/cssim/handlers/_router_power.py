"""A router reboot (rebootRouter, and the jobs upgradeRouterTemplate submits); registers no command.

CloudStack reboots a router by stopping and starting it ("Stopping and starting router ... as a part of router
reboot"); on start a router moves to the template the zone's ``router.template.<hypervisor>`` setting names
(when that template is ready in the zone). The job's progress: Stopping, Stopped (40%), Starting on the new
template (50%), Running when it completes. The router keeps its host, link-local address and lab namespace.
An injected failure (job_fail) leaves it Running on its old template.
"""

from .. import errors, render, templates


def router_of(ctx, job):
    return ctx.world.get("router", job["instanceid"])


def begin(ctx, job):
    r = router_of(ctx, job)
    if r["state"] != "Running":
        job["args"]["error"] = "Unable to reboot domR, it is not in right state %s" % r["state"]
        return
    job["args"]["from_template"] = r["templateid"]
    r["state"] = "Stopping"


def progress(ctx, job, fraction):
    r = router_of(ctx, job)
    if job["args"].get("error"):
        return
    if fraction >= 0.4 and r["state"] == "Stopping":
        r["state"] = "Stopped"
    if fraction >= 0.5 and r["state"] == "Stopped":
        r["state"] = "Starting"
        if not job["fail"]:
            _switch_template(ctx, r)


def _switch_template(ctx, r):
    tpl = templates.router_template(ctx, r["zoneid"], "KVM")
    if tpl is not None:
        r["templateid"] = tpl["id"]


def complete(ctx, job):
    r = router_of(ctx, job)
    if job["args"].get("error"):
        raise errors.ApiError(errors.INTERNAL_ERROR, job["args"]["error"], errors.CS_CLOUD_RUNTIME)
    if r["state"] != "Starting":
        _switch_template(ctx, r)
    r["state"] = "Running"
    return render.router(ctx, r, with_job=False)


def revert(ctx, job):
    r = router_of(ctx, job)
    if job["args"].get("error"):
        return
    r["state"] = "Running"
    r["templateid"] = job["args"].get("from_template", r["templateid"])
