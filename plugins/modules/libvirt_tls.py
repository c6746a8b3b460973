#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_tls
short_description: Configure libvirt TLS and the VNC certificate links on a KVM host as CloudStack does
version_added: 0.2.0
description:
  - Sets the keys of C(libvirtd.conf) that CloudStack's C(cloudstack-setup-agent -s) sets for TLS
    (C(listen_tcp=0), C(listen_tls=1), C(key_file), C(cert_file), C(ca_file), C(tcp_port), C(tls_port),
    C(auth_tcp), C(auth_tls)), or with O(tls=false) the plain TCP pair (C(listen_tcp=1), C(listen_tls=0)).
    Only those keys change; comments, other keys and the order of the file stay as they are. A key CloudStack
    wrote as C(key=value) with the same value is left alone.
  - Makes the eight links keystore-cert-import makes under O(pki_dir), to the agent's C(cloud.crt),
    C(cloud.ca.crt) and C(cloud.key) (libvirt's server and client certificate and key, the CA), and for VNC
    to the libvirt links. Each link is replaced atomically.
  - When C(/etc/libvirt/qemu.conf) sets C(group), the pki directories get that group and mode 0750, as
    CloudStack does.
  - Returns RV(restart_required) when libvirtd must restart to use the change; it does not restart it.
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.host
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  tls:
    description:
      - V(true) for TLS (and the links), V(false) for CloudStack's non-TLS settings.
    type: bool
    default: true
  links:
    description:
      - Whether to make the links under O(pki_dir) (with O(tls=true)).
    type: bool
    default: true
  libvirtd_conf:
    description:
      - libvirtd's configuration file. It must exist. An absolute path.
    type: path
    default: /etc/libvirt/libvirtd.conf
  qemu_conf:
    description:
      - libvirt's qemu.conf, read for its C(group) setting.
    type: path
    default: /etc/libvirt/qemu.conf
  pki_dir:
    description:
      - The directory libvirt's certificate paths are under.
    type: path
    default: /etc/pki
  agent_dir:
    description:
      - The CloudStack agent's directory holding C(cloud.crt), C(cloud.ca.crt) and C(cloud.key).
    type: path
    default: /etc/cloudstack/agent
  owner:
    description:
      - Owner of the directories made.
  group:
    description:
      - Group of the directories made (unless qemu.conf sets one).
notes:
  - On systemd hosts CloudStack also masks libvirtd's socket units and runs libvirtd with C(-l); this module
    does not.
seealso:
  - module: csops.cloudstack.agent_certificate
  - module: csops.cloudstack.host_certificate_info
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Configure libvirt TLS
  csops.cloudstack.libvirt_tls:
  register: tls

- name: Restart libvirtd when needed
  ansible.builtin.service:
    name: libvirtd
    state: restarted
  when: tls.restart_required
"""

RETURN = r"""
changed_keys:
  description: The libvirtd.conf keys that were (or would be) set.
  returned: always
  type: list
  elements: str
links:
  description: The links that were (or would be) made, with their target and what was there before.
  returned: always
  type: list
  elements: dict
directories:
  description: The directories made or given mode and group.
  returned: always
  type: list
  elements: str
restart_required:
  description: Whether libvirtd must restart to use the change.
  returned: always
  type: bool
qemu_group:
  description: The group qemu.conf sets, or None.
  returned: always
  type: str
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_tls.backend import configure


def main():
    module = HostModule(
        argument_spec=dict(
            tls=dict(type="bool", default=True),
            links=dict(type="bool", default=True),
            libvirtd_conf=dict(type="path", default="/etc/libvirt/libvirtd.conf"),
            qemu_conf=dict(type="path", default="/etc/libvirt/qemu.conf"),
            pki_dir=dict(type="path", default="/etc/pki"),
            agent_dir=dict(type="path", default="/etc/cloudstack/agent"),
        ),
        owner=True,
    )
    module.run(configure)


if __name__ == "__main__":
    main()
