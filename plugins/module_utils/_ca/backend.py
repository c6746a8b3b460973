# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backends of ``host_certificate`` and ``ca_certificate_info``: CloudStack's CA through its API.

``HostCertificateBackend(client, params, check_mode, diff, deadline).run()`` returns the module's result dict:

- with ``csr``: ``issueCertificate`` signs it (CloudStack's CA, with the CA settings in force) and the result
  holds the certificate and the CA chain. CloudStack issues a new certificate for every call, so this always
  changes; in check mode nothing is sent. The module never asks CloudStack to generate a private key (a CSR is
  required), and a ``privatekey`` in an answer is dropped.
- with ``host``: ``provisionCertificate`` has the host's agent make a key and CSR, CloudStack signs it and the
  agent installs it. A host that CloudStack already shows as secured is left alone unless ``force``; the host is
  read again after the job to report its secured state.

Errors are CloudStackErrors whose message starts with what the task did (``issue certificate for CN=...``,
``provision certificate for host kvm1``) and whose ``result`` holds ``jobid`` and ``changed`` once a job was
submitted. ``CaInfoBackend(client, params).run()`` reads the CA certificate and the providers.
"""

from __future__ import annotations

from .._api.backend import ApiBackend
from .._api import lookup
from .._api.errors import CloudStackError, ValidationError, one_line, shorten
from .rules import check_addresses, check_duration, check_names, is_secured, parse_csr, split_certificates

CSR_ONLY = ("domains", "ip_addresses", "duration")


def check_input(params):
    """Raise ValidationError for input that cannot be acted on; returns the parsed CSR (or None)."""
    if params.get("provider") is not None and str(params["provider"]).strip() == "":
        raise ValidationError("provider must not be empty (leave it out for the configured one)")
    if params.get("host") is not None:
        for option in CSR_ONLY:
            if params.get(option) not in (None, []):
                raise ValidationError("%s applies only with csr; with host CloudStack names the certificate after the "
                                      "host itself" % option)
        return None
    if params.get("force"):
        raise ValidationError("force applies only with host; every csr is signed anew")
    if params.get("reconnect"):
        raise ValidationError("reconnect applies only with host")
    csr = parse_csr(params.get("csr"))
    check_names(params.get("domains"))
    check_addresses(params.get("ip_addresses"))
    check_duration(params.get("duration"))
    return csr


def host_view(host):
    return {"id": host.get("id"), "name": host.get("name"), "state": host.get("state"), "secured": is_secured(host)}


class HostCertificateBackend(ApiBackend):
    def __init__(self, client, params, check_mode, diff, deadline):
        super().__init__(client, params, check_mode, diff, deadline)
        self.subject = None

    def run(self):
        csr = check_input(self.params)
        if self.params.get("host") is not None:
            self.subject = "provision certificate for host %s" % shorten(self.params["host"])
        else:
            cn = (csr or {}).get("subject_cn")
            self.subject = "issue certificate for %s" % ("CN=%s" % shorten(cn) if cn else "the CSR")
        try:
            return self.provision() if self.params.get("host") is not None else self.issue(csr)
        except CloudStackError as error:
            message = one_line(error.message)  # a job's error text may hold line breaks
            if not message.startswith(self.subject):
                message = "%s: %s" % (self.subject, message)
            error.args = (message,)
            if self.deadline.expired() and "wait_timeout" not in error.message:
                error.args = ("%s (the wait_timeout of %ss ran out)" % (error.message, self.deadline.seconds),)
            raise

    def _submit(self, command, params):
        """Run ``command``; returns (jobid, jobresult or None when not waited for)."""
        jobid = None
        try:
            jobid = self.client.submit(command, params, self.deadline)["jobid"]
            if not self.params["wait"]:
                return jobid, None
            return jobid, self.client.waiter.job(jobid, command, self.deadline)
        except CloudStackError as error:
            if jobid is not None:
                error.result = dict(error.result or {}, jobid=jobid, changed=True)
            raise

    # -- issueCertificate ---------------------------------------------------------------------------------

    def issue(self, csr):
        params = self.params
        result = dict(changed=True, jobid=None, certificate=None, ca_certificates=[], fullchain=None,
                      subject_cn=csr.get("subject_cn"))
        if self.diff:
            result["diff"] = {"before": {"certificate": None},
                              "after": {"certificate": "a new certificate for %s" % (csr.get("subject_cn") or "the CSR")}}
        if self.check_mode:
            return result
        request = {
            "csr": params["csr"].strip() + "\n",
            "domain": ",".join(params.get("domains") or []) or None,
            "ipaddress": ",".join(str(a).strip() for a in params.get("ip_addresses") or []) or None,
            "duration": params.get("duration"),
            "provider": params.get("provider"),
        }
        jobid, answer = self._submit("issueCertificate", request)
        result["jobid"] = jobid
        if answer is None:
            return result
        issued = (answer or {}).get("certificates") or {}
        certificate = issued.get("certificate")
        if not certificate:
            raise CloudStackError("job %s answered no certificate" % jobid, "issueCertificate",
                                  dict(jobid=jobid, changed=True))
        chain = split_certificates(issued.get("cacertificates"))
        # a private key is never requested (a CSR is required); should CloudStack send one, it stays out
        result.update(certificate=certificate, ca_certificates=chain,
                      fullchain="".join([certificate.strip() + "\n"] + chain))
        return result

    # -- provisionCertificate -----------------------------------------------------------------------------

    def provision(self):
        params = self.params
        host = lookup.get(self.client, "host", params["host"], deadline=self.deadline)
        before = host_view(host)
        needed = params.get("force") or not before["secured"]
        result = dict(changed=bool(needed), jobid=None, host=before)
        if self.diff:
            result["diff"] = {"before": {"secured": before["secured"]}, "after": {"secured": True}}
        if not needed or self.check_mode:
            return result
        request = {"hostid": host["id"], "reconnect": params.get("reconnect"), "provider": params.get("provider")}
        jobid, answer = self._submit("provisionCertificate", request)
        result["jobid"] = jobid
        if answer is None:
            return result
        if answer.get("success") is False:
            raise CloudStackError("job %s ended without success: the agent could not set up its keystore or install "
                                  "the certificate (see the management server log)" % jobid,
                                  "provisionCertificate", dict(jobid=jobid, changed=True, host=before))
        after = lookup.get(self.client, "host", host["id"], deadline=self.deadline)
        result["host"] = host_view(after)
        if self.diff:
            result["diff"]["after"] = {"secured": result["host"]["secured"]}
        return result


class CaInfoBackend(ApiBackend):
    """``ca_certificate_info``: the CA chain (listCaCertificate) and the providers (listCAProviders)."""

    def run(self):
        provider = self.params.get("provider")
        if provider is not None and str(provider).strip() == "":
            raise ValidationError("provider must not be empty (leave it out for the configured one)")
        try:
            answer = self.client.request("listCaCertificate", {"provider": provider}) or {}
            # listCAProviders is not a paged list command: it takes no page/pagesize and answers every provider
            providers = (self.client.request("listCAProviders") or {}).get("caprovider") or []
        except CloudStackError as error:
            error.args = ("read CloudStack's CA: %s" % error.message,)
            raise
        pem = (answer.get("cacertificates") or {}).get("certificate")
        return dict(
            changed=False,
            ca_certificate=pem,
            ca_certificates=split_certificates(pem),
            providers=sorted(({"name": p.get("name"), "description": p.get("description")} for p in providers),
                             key=lambda p: p["name"] or ""),
        )
