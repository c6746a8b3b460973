#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_certificate
short_description: Certificates from CloudStack's CA, for a CSR or provisioned on a KVM host
version_added: 0.2.0
description:
  - Two ways of getting a certificate from the CA of the management server (the C(root) provider by default),
    both asynchronous CloudStack jobs, waited for unless O(wait=false).
  - With O(csr), C(issueCertificate) signs the certificate signing request. The certificate keeps the CSR's
    subject and public key; its subject alternative names are O(domains) and O(ip_addresses) plus those in the
    CSR; it is valid for O(duration) days, or C(ca.framework.cert.validity.period), and signed with
    C(ca.framework.cert.signature.algorithm). The result has the certificate and the CA chain, ready for
    C(keystore-cert-import) or the host-side certificate modules.
  - With O(host), C(provisionCertificate) has the host's agent create a key and a CSR, CloudStack signs it (names
    the host name and private IP, addresses the private, public and storage IP) and the agent installs it.
    The host must be connected (C(Up)); CloudStack then lists it as secured (C(details.secured)).
  - A private key never passes through this module. A CSR is required for O(csr) mode, so CloudStack never
    generates a key here, and with O(host) the key stays on the host.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.wait
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
    details:
      - Nothing is sent that changes anything. C(issueCertificate) changes no state in CloudStack, but it creates
        a certificate, so check mode does not call it either and returns no certificate.
      - With O(host) the host is read, and C(changed) says whether it would be provisioned.
  diff_mode:
    support: full
    details: With O(host), the secured state before and after; with O(csr), that a new certificate is issued.
options:
  csr:
    description:
      - A PKCS#10 certificate signing request in PEM form (C(-----BEGIN CERTIFICATE REQUEST-----), or keytool's
        C(NEW CERTIFICATE REQUEST)), for example the output of C(keystore-setup) or C(keytool -certreq).
      - It is checked before anything is sent; text that is not one PEM CSR, or that holds a private key, is
        refused.
      - CloudStack issues a new certificate (new serial) for every call, so a task with O(csr) always reports a
        change. To renew only when needed, run it under a condition, for example on the expiry date that
        C(community.crypto.x509_certificate_info) reads from the current certificate.
    type: str
  domains:
    description:
      - DNS names to add to the certificate's subject alternative names (with O(csr) only).
    type: list
    elements: str
  ip_addresses:
    description:
      - IP addresses to add to the certificate's subject alternative names (with O(csr) only).
    type: list
    elements: str
  duration:
    description:
      - Days the certificate is valid (with O(csr) only), from 1 to 36500.
      - Defaults to the global setting C(ca.framework.cert.validity.period) (365 days unless changed).
    type: int
  host:
    description:
      - Name or id of a hypervisor host (type C(Routing)) to provision with a certificate.
      - A host that CloudStack already shows as secured is left alone unless O(force=true).
    type: str
  force:
    description:
      - With O(host), provision even when the host is already secured, for example to renew its certificate
        before it expires (CloudStack shows that a host is secured, not when its certificate ends).
    type: bool
    default: false
  reconnect:
    description:
      - With O(host), have CloudStack reconnect the agent once the certificate is installed, so the agent uses
        it at once. Without it the agent picks it up at its next connection.
    type: bool
    default: false
  provider:
    description:
      - Name of the CA provider. Defaults to the configured one (C(ca.framework.provider.plugin), C(root)).
    type: str
notes:
  - Exactly one of O(csr) and O(host) is required.
  - The task fails with CloudStack's error when the host is not connected (the agent cannot make a CSR).
  - O(wait_timeout) bounds the whole task, every request included.
seealso:
  - module: csops.cloudstack.ca_certificate_info
  - module: csops.cloudstack.host_info
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Have CloudStack secure the agent of kvm1 and reconnect it
  csops.cloudstack.host_certificate:
    host: kvm1
    reconnect: true

- name: Renew the certificate of every KVM host, one after the other
  csops.cloudstack.host_certificate:
    host: "{{ item }}"
    force: true
  loop: "{{ groups['kvm_hosts'] }}"

- name: Read the CSR a host made with keystore-setup
  ansible.builtin.slurp:
    src: /etc/cloudstack/agent/cloud.csr
  register: csr
  delegate_to: kvm1

- name: Have CloudStack's CA sign it for 90 days
  csops.cloudstack.host_certificate:
    csr: "{{ csr.content | b64decode }}"
    domains: [kvm1.example.com]
    ip_addresses: [192.0.2.11]
    duration: 90
  register: signed
"""

RETURN = r"""
certificate:
  description: The issued certificate (PEM). Null in check mode and when not waited for.
  returned: with csr
  type: str
ca_certificates:
  description: The CA chain CloudStack returned with it, one PEM certificate per item.
  returned: with csr
  type: list
  elements: str
fullchain:
  description: The certificate followed by the CA chain (PEM), as TLS servers such as libvirt want it.
  returned: with csr
  type: str
subject_cn:
  description: The common name of the CSR's subject (null when it has none).
  returned: with csr
  type: str
  sample: kvm1.example.com
host:
  description: The host (after the job when one ran and was waited for).
  returned: with host
  type: dict
  contains:
    id: {description: "Id of the host.", type: str}
    name: {description: "Name of the host.", type: str, sample: kvm1}
    state: {description: "The host's state, for example C(Up).", type: str}
    secured: {description: "Whether CloudStack shows the host as secured.", type: bool}
jobid:
  description: Id of the job that did it; null when nothing was sent.
  returned: always
  type: str
diff:
  description: The secured state (with host) or the new certificate (with csr), before and after.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._ca.backend import HostCertificateBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            csr=dict(type="str"),
            domains=dict(type="list", elements="str"),
            ip_addresses=dict(type="list", elements="str"),
            duration=dict(type="int"),
            host=dict(type="str"),
            force=dict(type="bool", default=False),
            reconnect=dict(type="bool", default=False),
            provider=dict(type="str"),
        ),
        with_wait=True,
        selectors=("host", "provider", "domains", "ip_addresses"),
        mutually_exclusive=[("csr", "host")],
        required_one_of=[("csr", "host")],
        supports_check_mode=True,
    )
    module.run_backend(HostCertificateBackend)


if __name__ == "__main__":
    main()
