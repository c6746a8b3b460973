#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_certificate_info
short_description: Report the certificates, keystore and libvirt TLS links of a CloudStack KVM host
version_added: 0.2.0
description:
  - For each certificate file that matters on a KVM host (the agent's C(cloud.crt) and C(cloud.ca.crt), libvirt's
    server and client certificates and CA under O(pki_dir), the VNC certificate and CA) reports its subject,
    issuer, SANs, not-after date, days left, whether it has expired and whether it matches its key.
  - Reports the keystore C(cloud.jks) (format, aliases, whether its key entry holds C(cloud.crt)), read with
    the passphrase of agent.properties, which is never shown; and whether each of CloudStack's eight links under
    O(pki_dir) points where CloudStack expects.
  - Only reads; starts no JVM.
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.info_module
options:
  agent_dir:
    description:
      - The CloudStack agent's configuration directory.
    type: path
    default: /etc/cloudstack/agent
  pki_dir:
    description:
      - The directory of libvirt's certificate links.
    type: path
    default: /etc/pki
requirements:
  - cryptography
seealso:
  - module: csops.cloudstack.agent_keystore
  - module: csops.cloudstack.agent_certificate
  - module: csops.cloudstack.libvirt_tls
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Read the host's certificates
  csops.cloudstack.host_certificate_info:
  register: certs

- name: Warn about certificates expiring within 30 days
  ansible.builtin.debug:
    msg: "{{ item.key }} expires in {{ item.value.days_left }} days"
  loop: "{{ certs.certificates | dict2items | selectattr('value.days_left', 'defined')
            | selectattr('value.days_left', 'lt', 30) }}"
"""

RETURN = r"""
secured:
  description: Whether C(cloud.crt) exists (what CloudStack's agent takes as a secured host).
  returned: always
  type: bool
certificates:
  description:
    - One entry per certificate file (V(agent), V(ca), V(libvirt_server), V(libvirt_client), V(libvirt_ca),
      V(vnc_server), V(vnc_ca)) with C(path), C(exists), and when it exists C(subject), C(issuer), C(ip_sans),
      C(dns_sans), C(not_after), C(days_left), C(expired), C(is_link), C(link_target), and for certificates with
      a key C(matches_key); C(agent) also has C(signed_by_ca).
  returned: always
  type: dict
keystore:
  description: C(path), C(exists), C(passphrase_set), C(format), C(aliases), C(has_key), C(certificate),
    C(matches_cloud_crt), or C(error).
  returned: always
  type: dict
links:
  description: Each link with C(path), C(expected) target, actual C(target), C(kind), C(role) and C(ok).
  returned: always
  type: list
  elements: dict
links_ok:
  description: Whether every link points where CloudStack expects.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._keystore import crypto
from ansible_collections.csops.cloudstack.plugins.module_utils._keystore.info import read_info


def main():
    module = HostModule(
        argument_spec=dict(
            agent_dir=dict(type="path", default="/etc/cloudstack/agent"),
            pki_dir=dict(type="path", default="/etc/pki"),
        ),
    )
    if not crypto.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=crypto.IMPORT_ERROR)
    module.run(read_info)


if __name__ == "__main__":
    main()
