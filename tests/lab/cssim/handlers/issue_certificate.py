"""issueCertificate: CloudStack's CA signs a CSR (or, without one, generates a key pair) inside the job.

As in IssueCertificateCmd.execute, every check runs in the job: no CSR and no domain fails it with 431, an
unknown provider or a CSR the CA cannot read with 530. The settings (signature algorithm, key size, validity)
are read when the job signs, not when it is submitted."""

from .. import ca, errors
from ..registry import command


def _items(text):
    return [item.strip() for item in (text or "").split(",") if item.strip()] if text else []


def complete(ctx, job):
    args = job["args"]
    domains = _items(args.get("domain"))
    if not args.get("csr") and not domains:
        raise errors.ApiError(errors.PARAM_ERROR, "Please provide the domains or the CSR, none of them are provided")
    ca.provider(args.get("provider"))
    return ca.issue(ctx, csr=args.get("csr"), domains=domains, addresses=_items(args.get("ipaddress")),
                    days=args.get("duration"))


@command("issueCertificate", params={
    "csr": "string", "domain": "string", "duration": "integer", "ipaddress": "string", "provider": "string",
}, complete=complete)
def issue_certificate(ctx, p):
    args = {key: p.get(key) for key in ("csr", "domain", "duration", "ipaddress", "provider")}
    return {"jobid": ctx.submit_job(None, None, args)}
