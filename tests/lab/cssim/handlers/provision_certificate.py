"""provisionCertificate: issue a certificate for a connected host (or SSVM/CPVM agent) and mark it secured.

CloudStack asks the agent for a CSR (SetupKeyStoreCommand), signs it with the names [host name, private IP]
and addresses [private, public, storage IP], and sends the certificate back (SetupCertificateCommand). The
simulator cannot reach into the lab's host namespaces: it issues the certificate for a key pair of its own (as
CloudStack does for SSVM/CPVM rows), records it in the CA's record (``GET /lab/ca``) and on the host
(``certificate_serial``), and the host then shows ``details.secured`` = ``"true"`` in listHosts. Putting a
certificate on a real host is the host modules' work. A host that is not Up fails the job with CloudStack's
error, since the agent cannot be reached; ``reconnect`` is recorded (the agent stays Up)."""

import json

from .. import ca, errors
from ..registry import command
from ..world import stable_id


def _describe(ctx, host):
    """Host.toString() of CloudStack 4.20: the selected fields as JSON (the database id: the host's position)."""
    dbid = list(ctx.world.all("host")).index(host["id"]) + 1
    return "Host %s" % json.dumps({"id": dbid, "name": host["name"], "type": host["type"], "uuid": host["id"]},
                                  separators=(",", ":"))


def complete(ctx, job):
    host = ctx.world.get("host", job["instanceid"])
    if host is None:
        raise errors.ApiError(errors.INTERNAL_ERROR, "Unable to find valid host to renew certificate for",
                              errors.CS_CLOUD_RUNTIME)
    ca.provider(job["args"].get("provider"))
    if host["state"] != "Up":
        raise errors.ApiError(errors.INTERNAL_ERROR, "Failed to generate keystore and get CSR from the host/agent %s"
                              % _describe(ctx, host), errors.CS_CLOUD_RUNTIME)
    private = host.get("ipaddress")
    public = storage = private
    vm = ctx.world.get("systemvm", stable_id("systemvm", host["name"]))
    if vm is not None:
        public = vm.get("publicip")
    ca.issue(ctx, domains=[host["name"], private], addresses=[private, public, storage], hostid=host["id"])
    record = ctx.world.state["ca"]["issued"][-1]
    record["reconnect"] = bool(job["args"].get("reconnect"))
    host["secured"] = True
    host["certificate_serial"] = record["serial"]
    return {"success": True}


@command("provisionCertificate", params={"hostid": "uuid:host!", "provider": "string", "reconnect": "boolean"},
         complete=complete, instance_type="Host")
def provision_certificate(ctx, p):
    args = {"provider": p.get("provider"), "reconnect": p.get("reconnect")}
    return {"jobid": ctx.submit_job("Host", p["hostid"], args)}
