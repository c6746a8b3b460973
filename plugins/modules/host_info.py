#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: List CloudStack hosts
version_added: 0.1.0
description:
  - Lists hosts known to CloudStack (hypervisor hosts by default), across all pages of the API's answer.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
  - csops.cloudstack.attributes.INFO_MODULE
options:
  name:
    description: Only the host with this name.
    type: str
  id:
    description: Only the host with this id.
    type: str
  zone:
    description: Only hosts in this zone (name or id).
    type: str
  pod:
    description: Only hosts in this pod (name or id).
    type: str
  cluster:
    description: Only hosts in this cluster (name or id).
    type: str
  type:
    description:
      - Host type. C(Routing) are the hypervisor hosts; C(all) lists every type.
    type: str
    default: Routing
  state:
    description: Only hosts in this state, for example C(Up), C(Down), C(Disconnected), C(Alert).
    type: str
  resource_state:
    description: Only hosts in this resource state, for example C(Enabled), C(Disabled), C(Maintenance).
    type: str
  hypervisor:
    description: Only hosts of this hypervisor, for example C(KVM).
    type: str
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: KVM hosts of one zone that are not up
  csops.cloudstack.host_info:
    zone: zone1
    hypervisor: KVM
  register: hosts

- name: Show them
  ansible.builtin.debug:
    msg: "{{ hosts.hosts | rejectattr('state', 'eq', 'Up') | map(attribute='name') }}"
"""

RETURN = r"""
hosts:
  description: The hosts, sorted by name. Every item has all the keys below; a key CloudStack did not return is null.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Host id.", type: str}
    name: {description: "Host name.", type: str}
    type: {description: "Host type.", type: str, sample: Routing}
    state: {description: "Connection state.", type: str, sample: Up}
    resourcestate: {description: "Resource state.", type: str, sample: Enabled}
    hypervisor: {description: "Hypervisor type.", type: str, sample: KVM}
    hypervisorversion: {description: "Hypervisor version.", type: str}
    version: {description: "CloudStack agent version.", type: str}
    ipaddress: {description: "Management IP address of the host.", type: str}
    zoneid: {description: "Zone id.", type: str}
    zonename: {description: "Zone name.", type: str}
    podid: {description: "Pod id.", type: str}
    podname: {description: "Pod name.", type: str}
    clusterid: {description: "Cluster id.", type: str}
    clustername: {description: "Cluster name.", type: str}
    managementserverid: {description: "Management server the host is connected to.", type: str}
    created: {description: "When the host was added.", type: str}
    disconnected: {description: "When the host last disconnected.", type: str}
    hosttags: {description: "Host tags, comma separated.", type: str}
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.args import location_spec
from ansible_collections.csops.cloudstack.plugins.module_utils._api.info import list_projected
from ansible_collections.csops.cloudstack.plugins.module_utils._api.lookup import location_filters
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule

HOST_KEYS = (
    "id", "name", "type", "state", "resourcestate", "hypervisor", "hypervisorversion", "version", "ipaddress",
    "zoneid", "zonename", "podid", "podname", "clusterid", "clustername", "managementserverid", "created",
    "disconnected", "hosttags",
)


def list_hosts(module):
    params = module.params
    filters = location_filters(module.client, params, ("zone", "pod", "cluster"))
    filters.update(
        name=params["name"],
        id=params["id"],
        state=params["state"],
        resourcestate=params["resource_state"],
        hypervisor=params["hypervisor"],
        type=None if params["type"].lower() == "all" else params["type"],
    )
    hosts = list_projected(module.client, "host", filters, HOST_KEYS)
    return dict(changed=False, hosts=hosts)


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            **location_spec("zone", "pod", "cluster"),
            type=dict(type="str", default="Routing"),
            state=dict(type="str"),
            resource_state=dict(type="str"),
            hypervisor=dict(type="str"),
        ),
        selectors=("name", "id", "zone", "pod", "cluster", "type", "state", "resource_state", "hypervisor"),
        uuids=("id",),
        supports_check_mode=True,
    )
    module.run(list_hosts)


if __name__ == "__main__":
    main()
