#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ca_certificate_info
short_description: Read CloudStack's CA certificate and its CA providers
version_added: 0.2.0
description:
  - Reads the certificate chain of the management server's CA (C(listCaCertificate)), the CA that signs agent
    and system VM certificates, for example to install it as C(cloud.ca.crt) or to trust it elsewhere.
  - Lists the CA provider plugins CloudStack offers (C(listCAProviders)).
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
  - csops.cloudstack.attributes.INFO_MODULE
options:
  provider:
    description:
      - Name of the CA provider whose certificate to read. Defaults to the configured one
        (C(ca.framework.provider.plugin), C(root)).
    type: str
author:
  - csops.cloudstack maintainers (@csops)
seealso:
  - module: csops.cloudstack.host_certificate
"""

EXAMPLES = r"""
- name: Read CloudStack's CA
  csops.cloudstack.ca_certificate_info:
  register: ca

- name: Trust it on the controller
  ansible.builtin.copy:
    content: "{{ ca.ca_certificate }}"
    dest: /usr/local/share/ca-certificates/cloudstack-ca.crt
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
ca_certificate:
  description: The CA certificate chain as CloudStack returns it (PEM).
  returned: always
  type: str
ca_certificates:
  description: The same chain, one PEM certificate per item.
  returned: always
  type: list
  elements: str
providers:
  description: The CA provider plugins, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "Provider name.", type: str, sample: root}
    description: {description: "What CloudStack says about it.", type: str}
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._ca.backend import CaInfoBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(provider=dict(type="str")),
        selectors=("provider",),
        supports_check_mode=True,
    )
    module.run_backend(CaInfoBackend)


if __name__ == "__main__":
    main()
