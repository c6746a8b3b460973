"""listCAProviders: the CA provider plugins (the lab has CloudStack's default one, ``root``)."""

from .. import ca
from ..registry import command


@command("listCAProviders", params={"name": "string"})
def list_ca_providers(ctx, p):
    name = p.get("name")
    rows = [{"name": key, "description": text} for key, text in sorted(ca.PROVIDERS.items())
            if not name or key == name.lower()]
    return ctx.list_body(rows, len(rows))
