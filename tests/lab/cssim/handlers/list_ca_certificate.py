"""listCaCertificate: the CA's certificate chain (PEM) in the ``certificate`` field of ``cacertificates``."""

from .. import ca
from ..registry import command


@command("listCaCertificate", params={"provider": "string"})
def list_ca_certificate(ctx, p):
    ca.provider(p.get("provider"))
    return ctx.object_body({"certificate": ca.ca_certificate(ctx)})
