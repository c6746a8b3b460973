#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_info
short_description: One CloudStack cluster with its hosts, their capacity, its VMs and what a health gate checks
version_added: 0.3.0
description:
  - Reads one cluster, its allocation state and overcommit ratios, its hosts with their capacity, and every VM on
    them (user VMs, routers, system VMs), with one listing per kind.
  - Reports the VMs in a transitional state (C(Starting), C(Stopping), C(Migrating), C(Error), C(Unknown)) and the
    problems a health gate fails on (hosts C(Alert), C(Disconnected), C(Down) or C(Error), transitional VMs), and,
    given O(running_vms), those of them that are not C(Running) any more; one task per gate.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.location.ZONE
  - csops.cloudstack.location.POD
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
  - csops.cloudstack.attributes.INFO_MODULE
options:
  name:
    description: Name of the cluster; O(zone) and O(pod) narrow the search.
    type: str
  id:
    description: Id (UUID) of the cluster.
    type: str
  running_vms:
    description:
      - Ids of VMs that were C(Running) (for example RV(vms) of an earlier run, filtered on C(state)); the ones
        that are not C(Running) now are returned in RV(not_running).
    type: list
    elements: str
seealso:
  - module: csops.cloudstack.host
  - module: csops.cloudstack.host_info
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Read the cluster before a host goes into maintenance
  csops.cloudstack.cluster_info:
    name: lab-cluster1
  register: before

- name: Health gate afterwards
  csops.cloudstack.cluster_info:
    name: lab-cluster1
    running_vms: "{{ before.vms | selectattr('state', 'eq', 'Running') | map(attribute='id') | list }}"
  register: gate
  failed_when: gate.problems or gate.not_running
"""

RETURN = r"""
cluster:
  description: The cluster.
  returned: always
  type: dict
  contains:
    id: {description: "Cluster id.", type: str}
    name: {description: "Cluster name.", type: str}
    allocationstate: {description: "C(Enabled) or C(Disabled).", type: str}
    cpuovercommitratio: {description: "CPU overcommit ratio as CloudStack gives it (a string).", type: str}
    memoryovercommitratio: {description: "Memory overcommit ratio as CloudStack gives it (a string).", type: str}
    hypervisortype: {description: "Hypervisor.", type: str}
    podid: {description: "Pod id.", type: str}
    podname: {description: "Pod name.", type: str}
    zoneid: {description: "Zone id.", type: str}
    zonename: {description: "Zone name.", type: str}
hosts:
  description:
    - The cluster's hosts, sorted by name, with capacity (CPU in MHz, memory in bytes; capacity with the cluster's
      overcommit ratios).
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Host id.", type: str}
    name: {description: "Host name.", type: str}
    state: {description: "Agent state.", type: str}
    resourcestate: {description: "Resource state.", type: str}
    cpu_total_mhz: {description: "CPU cores times speed.", type: int}
    cpu_capacity_mhz: {description: "With the CPU overcommit ratio.", type: int}
    cpu_allocated_mhz: {description: "Allocated to VMs.", type: int}
    memory_total: {description: "Memory.", type: int}
    memory_capacity: {description: "With the memory overcommit ratio.", type: int}
    memory_allocated: {description: "Allocated to VMs.", type: int}
vms:
  description: Every VM on the cluster's hosts, user VMs first, then routers, then system VMs.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "VM id.", type: str}
    name: {description: "VM name.", type: str}
    instancename: {description: "Instance name (C(i-2-5-VM)); the name for routers and system VMs.", type: str}
    kind: {description: "C(user), C(router) or C(systemvm).", type: str}
    state: {description: "VM state.", type: str}
    hostid: {description: "Host id.", type: str}
    hostname: {description: "Host name.", type: str}
transitional:
  description: The VMs of RV(vms) in a transitional state.
  returned: always
  type: list
  elements: dict
problems:
  description: One line per host in C(Alert), C(Disconnected), C(Down) or C(Error) and per transitional VM.
  returned: always
  type: list
  elements: str
not_running:
  description: The ids of O(running_vms) that are not C(Running) now (stopped, gone, or in another state).
  returned: when O(running_vms) is given
  type: list
  elements: str
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.args import location_spec
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.cluster import ClusterInfoBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            **location_spec("zone", "pod"),
            running_vms=dict(type="list", elements="str"),
        ),
        selectors=("name", "id", "zone", "pod"),
        uuids=("id", "running_vms"),
        mutually_exclusive=[("name", "id")],
        required_one_of=[("name", "id")],
        supports_check_mode=True,
    )
    module.run_backend(ClusterInfoBackend)


if __name__ == "__main__":
    main()
