#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: agent_certificate
short_description: Import the CloudStack agent's signed certificate and CA chain on a KVM host
version_added: 0.2.0
description:
  - Does what CloudStack's C(keystore-cert-import) does for the agent, and nothing when it is done. From the
    signed certificate and the CA chain it writes C(<agent_dir>/cloud.crt), C(cloud.ca.crt) and C(cloud.key)
    (mode 0750), imports each certificate of the chain into C(cloud.jks) as a trusted entry C(cloudca.1) to
    C(cloudca.N), and puts the certificate (with its chain) on the key entry C(cloud).
  - In the CSR flow (after M(csops.cloudstack.agent_keystore)) the key is the keystore's; C(cloud.key) gets
    it in PKCS#8. In the other flow O(private_key) is given with the certificate; it goes into C(cloud.key) as
    given and into the keystore, which is created when missing (with a passphrase when agent.properties has
    none).
  - The task is refused, with one line and nothing changed, when the certificate does not match the key, is not
    signed by the given chain, has expired (or is not valid yet), or its IP SANs miss O(management_address)
    (by default, when they hold none of the host's addresses).
  - The keystore is changed on a copy that is renamed over it, and each file is replaced atomically, so an
    interrupted run never leaves a keystore without its key. The same certificate again is no change and starts
    no JVM.
  - libvirt's TLS files and C(libvirtd.conf) are the job of M(csops.cloudstack.libvirt_tls).
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.host
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows C(cloud.crt); keys are never shown.
options:
  agent_dir:
    description:
      - The agent's configuration directory. An absolute path; it must exist.
    type: path
    default: /etc/cloudstack/agent
  certificate:
    description:
      - The host's signed certificate, PEM (one certificate).
    type: str
    required: true
  ca_certificate:
    description:
      - The CA chain, PEM, one or more certificates (CloudStack's C(listCaCertificate) gives it).
    type: str
    required: true
  private_key:
    description:
      - The certificate's private key, unencrypted PEM, for the flow without a CSR. Never shown.
    type: str
  passphrase:
    description:
      - Keystore passphrase to store when O(private_key) is given and agent.properties has none (by default a
        random one). Ignored otherwise.
    type: str
  management_address:
    description:
      - The host's management IP address, which must be among the certificate's IP SANs.
      - By default the certificate must hold at least one of O(addresses).
    type: str
  addresses:
    description:
      - The host's IP addresses (when O(management_address) is not given). By default those C(ip -o addr show)
        lists, without C(169.254.*), C(127.0.0.1), C(::1) and C(fe80*).
    type: list
    elements: str
  owner:
    description:
      - Owner of the files written.
  group:
    description:
      - Group of C(cloud.crt), C(cloud.ca.crt) and C(cloud.key). CloudStack uses the C(group) of
        C(/etc/libvirt/qemu.conf) when it sets one.
requirements:
  - cryptography
  - keytool (Java) on the host when the keystore must change
seealso:
  - module: csops.cloudstack.agent_keystore
  - module: csops.cloudstack.libvirt_tls
  - module: csops.cloudstack.host_certificate_info
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Import the certificate CloudStack's CA issued for the CSR
  csops.cloudstack.agent_certificate:
    certificate: "{{ issued.certificate }}"
    ca_certificate: "{{ issued.ca_certificate }}"
    management_address: "{{ ansible_default_ipv4.address }}"
  register: imported

- name: Install a certificate with its key (no CSR)
  csops.cloudstack.agent_certificate:
    certificate: "{{ lookup('file', 'certs/' ~ inventory_hostname ~ '.crt') }}"
    ca_certificate: "{{ lookup('file', 'certs/ca.crt') }}"
    private_key: "{{ vault_host_keys[inventory_hostname] }}"
"""

RETURN = r"""
certificate:
  description: Subject, issuer, SANs, validity and days left of the imported certificate.
  returned: always
  type: dict
ca_aliases:
  description: The keystore aliases of the CA chain.
  returned: always
  type: list
  elements: str
  sample: [cloudca.1]
keystore_changed:
  description: Whether the keystore was (or would be) changed.
  returned: always
  type: bool
passphrase_created:
  description: Whether a passphrase was (or would be) added to agent.properties.
  returned: always
  type: bool
files:
  description: C(cloud.crt), C(cloud.ca.crt), C(cloud.key) with their state (created, updated, unchanged).
  returned: always
  type: list
  elements: dict
keytool_calls:
  description: How many times keytool (a JVM) was started.
  returned: always
  type: int
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._keystore import crypto
from ansible_collections.csops.cloudstack.plugins.module_utils._keystore.backend import import_certificate


def main():
    module = HostModule(
        argument_spec=dict(
            agent_dir=dict(type="path", default="/etc/cloudstack/agent"),
            certificate=dict(type="str", required=True),
            ca_certificate=dict(type="str", required=True),
            private_key=dict(type="str", no_log=True),
            passphrase=dict(type="str", no_log=True),
            management_address=dict(type="str"),
            addresses=dict(type="list", elements="str"),
        ),
        owner=True,
    )
    if not crypto.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=crypto.IMPORT_ERROR)
    module.run(import_certificate)


if __name__ == "__main__":
    main()
