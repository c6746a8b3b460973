#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: systemvm_info
short_description: List CloudStack system VMs (secondary storage VMs and console proxies)
version_added: 0.1.0
description:
  - Lists the secondary storage VMs and console proxy VMs, with their versions, states and link-local addresses,
    across all pages of the API's answer.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
  - csops.cloudstack.attributes.INFO_MODULE
options:
  name:
    description: Only the system VM with this name, for example C(s-1-VM).
    type: str
  id:
    description: Only the system VM with this id.
    type: str
  type:
    description: Only system VMs of this type.
    type: str
    choices: [consoleproxy, secondarystoragevm]
  zone:
    description: Only system VMs in this zone (name or id).
    type: str
  pod:
    description: Only system VMs in this pod (name or id).
    type: str
  host:
    description: Only system VMs running on this hypervisor host (name or id).
    type: str
  state:
    description: Only system VMs in this state, for example C(Running) or C(Stopped).
    type: str
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Console proxies of zone1
  csops.cloudstack.systemvm_info:
    zone: zone1
    type: consoleproxy
  register: cpvms
"""

RETURN = r"""
systemvms:
  description: The system VMs, sorted by name. Every item has all the keys below; a key CloudStack did not return is null.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "System VM id.", type: str}
    name: {description: "System VM name.", type: str, sample: s-1-VM}
    systemvmtype: {description: "C(secondarystoragevm) or C(consoleproxy).", type: str}
    state: {description: "VM state.", type: str, sample: Running}
    agentstate: {description: "State of the agent inside the VM.", type: str, sample: Up}
    version: {description: "Version of the system VM agent.", type: str}
    hypervisor: {description: "Hypervisor type.", type: str}
    hostid: {description: "Id of the host running the VM.", type: str}
    hostname: {description: "Name of the host running the VM.", type: str}
    zoneid: {description: "Zone id.", type: str}
    zonename: {description: "Zone name.", type: str}
    podid: {description: "Pod id.", type: str}
    podname: {description: "Pod name.", type: str}
    linklocalip: {description: "Link-local (control) address, reachable from the host on port 3922.", type: str}
    privateip: {description: "Private (management network) address.", type: str}
    publicip: {description: "Public address.", type: str}
    templateid: {description: "Id of the template the VM runs.", type: str}
    templatename: {description: "Name of the template the VM runs.", type: str}
    created: {description: "Creation date.", type: str}
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.args import location_spec
from ansible_collections.csops.cloudstack.plugins.module_utils._api.info import list_projected
from ansible_collections.csops.cloudstack.plugins.module_utils._api.lookup import location_filters
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule

SYSTEMVM_KEYS = (
    "id", "name", "systemvmtype", "state", "agentstate", "version", "hypervisor", "hostid", "hostname", "zoneid",
    "zonename", "podid", "podname", "linklocalip", "privateip", "publicip", "templateid", "templatename", "created",
)


def list_systemvms(module):
    params = module.params
    filters = location_filters(module.client, params, ("zone", "pod", "host"))
    filters.update(name=params["name"], id=params["id"], systemvmtype=params["type"], state=params["state"])
    vms = list_projected(module.client, "systemvm", filters, SYSTEMVM_KEYS)
    return dict(changed=False, systemvms=vms)


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            type=dict(type="str", choices=["consoleproxy", "secondarystoragevm"]),
            **location_spec("zone", "pod", "host"),
            state=dict(type="str"),
        ),
        selectors=("name", "id", "zone", "pod", "host", "state"),
        uuids=("id",),
        supports_check_mode=True,
    )
    module.run(list_systemvms)


if __name__ == "__main__":
    main()
