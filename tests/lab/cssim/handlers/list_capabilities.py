from .. import render
from ..registry import command


@command("listCapabilities", params={})
def list_capabilities(ctx, p):
    return ctx.object_body(render.capability(ctx))
