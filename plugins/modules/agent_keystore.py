#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: agent_keystore
short_description: Set up the CloudStack agent's keystore and CSR on a KVM host, like keystore-setup
version_added: 0.2.0
description:
  - Does what CloudStack's C(keystore-setup) does, and nothing when it is done. The keystore
    C(<agent_dir>/cloud.jks) holds an RSA key pair under alias C(cloud); its passphrase is
    C(keystore.passphrase) in C(<agent_dir>/agent.properties); C(<agent_dir>/cloud.csr) is a CSR for the key
    with subject C(CN=<fqdn>, OU=cloudstack, O=cloudstack, C=cloudstack) and the host's IP addresses as SANs.
    The CSR is returned, to be signed by CloudStack's CA (or another).
  - The passphrase is created (16 random letters and digits, or O(passphrase)) only when agent.properties has
    none; an existing one is used as it is. It never appears in a result, diff or log.
  - A new key and CSR are made only when O(renew=true), when there is no keystore or no key entry C(cloud),
    when the key entry's certificate expires within O(renew_before) days, or when it does not match the key.
    Otherwise the key is kept; the CSR is rewritten only when its subject or SANs no longer fit the host.
  - A host set up by CloudStack's scripts is recognised as done. Nothing starts a JVM when there is nothing to
    do; a new keystore is written as PKCS12 (what Java 17's keytool writes as C(cloud.jks)) without keytool, and
    keytool runs only to replace the key in a keystore that holds other entries (such as the CA certificates),
    or to read the key of a JKS-format keystore.
  - C(agent.properties), C(cloud.jks) and C(cloud.csr) get mode 0600, as keystore-setup leaves them.
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.host
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows agent.properties (the passphrase masked) and the CSR.
options:
  agent_dir:
    description:
      - The agent's configuration directory, holding C(agent.properties) and the C(cloud.*) files. An absolute
        path; it must exist.
    type: path
    default: /etc/cloudstack/agent
  passphrase:
    description:
      - The keystore passphrase to store when agent.properties has none (at least 6 characters). By default a
        random one is made. Ignored when agent.properties has one.
    type: str
  fqdn:
    description:
      - The host's FQDN for the CSR's common name. By default the output of C(hostname --fqdn).
    type: str
  addresses:
    description:
      - The host's IP addresses for the CSR's SANs. By default every address C(ip -o addr show) lists; in both
        cases C(169.254.*), C(127.0.0.1), C(::1) and C(fe80*) are left out, as CloudStack does.
    type: list
    elements: str
  validity:
    description:
      - Days of validity of the self-signed certificate a new key gets (CloudStack passes
        C(ca.framework.cert.validity.period)).
    type: int
    default: 365
  key_size:
    description:
      - Size in bits of a new RSA key (CloudStack's C(ca.framework.cert.keysize)).
    type: int
    default: 2048
  renew:
    description:
      - Make a new key and CSR even when the current key is fine. With V(true), a keystore the passphrase
        cannot open is replaced.
    type: bool
    default: false
  renew_before:
    description:
      - Make a new key and CSR when the key entry's certificate expires within this many days.
    type: int
    default: 15
  owner:
    description:
      - Owner of the files written.
  group:
    description:
      - Group of the files written.
requirements:
  - cryptography
  - keytool (Java) on the host, only to change a keystore that holds other entries or is in JKS format
notes:
  - A C(#keystore.passphrase=) comment line in agent.properties is refused, because CloudStack's
    keystore-cert-import reads it as part of the passphrase.
seealso:
  - module: csops.cloudstack.agent_certificate
  - module: csops.cloudstack.host_certificate_info
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Set up the keystore and get a CSR
  csops.cloudstack.agent_keystore:
  register: keystore

- name: Show the CSR
  ansible.builtin.debug:
    var: keystore.csr

- name: Renew the key and CSR ahead of expiry
  csops.cloudstack.agent_keystore:
    renew_before: 30
"""

RETURN = r"""
csr:
  description: The CSR (PEM) for the key in the keystore. In check mode, None when a new one would be made.
  returned: always
  type: str
renewed:
  description: Whether a new key was (or would be) made.
  returned: always
  type: bool
reason:
  description: Why a new key was made (for example V(no keystore), V(renew requested)), or None.
  returned: always
  type: str
fqdn:
  description: The FQDN in the CSR's subject.
  returned: always
  type: str
addresses:
  description: The SAN addresses of the CSR.
  returned: always
  type: list
  elements: str
passphrase_created:
  description: Whether a passphrase was (or would be) added to agent.properties.
  returned: always
  type: bool
csr_written:
  description: Whether cloud.csr was written.
  returned: always
  type: bool
keystore_format:
  description: V(PKCS12) or V(JKS), the format of the keystore after the task.
  returned: always
  type: str
certificate:
  description: Subject, issuer, SANs, validity and days left of the key entry's certificate.
  returned: always
  type: dict
keytool_calls:
  description: How many times keytool (a JVM) was started.
  returned: always
  type: int
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._keystore import crypto
from ansible_collections.csops.cloudstack.plugins.module_utils._keystore.backend import setup_keystore


def main():
    module = HostModule(
        argument_spec=dict(
            agent_dir=dict(type="path", default="/etc/cloudstack/agent"),
            passphrase=dict(type="str", no_log=True),
            fqdn=dict(type="str"),
            addresses=dict(type="list", elements="str"),
            validity=dict(type="int", default=365),
            key_size=dict(type="int", default=2048),
            renew=dict(type="bool", default=False),
            renew_before=dict(type="int", default=15),
        ),
        owner=True,
    )
    if not crypto.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=crypto.IMPORT_ERROR)
    module.run(setup_keystore)


if __name__ == "__main__":
    main()
