#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: allocation_state
short_description: Enable or disable a CloudStack zone, pod or cluster
version_added: 0.3.0
description:
  - Sets the allocation state of one zone, pod or cluster (C(updateZone), C(updatePod), C(updateCluster)).
  - A disabled zone, pod or cluster gets no new VMs or volumes; what runs there keeps running.
  - The target is the most specific of O(cluster), O(pod) and O(zone) given; the others narrow the name search
    (O(zone) with O(cluster) picks the cluster of that name in that zone).
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  zone:
    description: The zone (name or id) to enable or disable, or the zone O(pod) or O(cluster) is searched in.
    type: str
  pod:
    description: The pod (name or id) to enable or disable, or the pod O(cluster) is searched in.
    type: str
  cluster:
    description: The cluster (name or id) to enable or disable.
    type: str
  state:
    description: The allocation state.
    type: str
    required: true
    choices: [enabled, disabled]
seealso:
  - module: csops.cloudstack.host
  - module: csops.cloudstack.cluster_info
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Disable a cluster while its hosts are patched
  csops.cloudstack.allocation_state:
    cluster: lab-cluster1
    state: disabled

- name: Enable it again
  csops.cloudstack.allocation_state:
    cluster: lab-cluster1
    state: enabled

- name: Disable a whole zone
  csops.cloudstack.allocation_state:
    zone: lab-zone2
    state: disabled
"""

RETURN = r"""
kind:
  description: What was targeted.
  returned: always
  type: str
  sample: cluster
id:
  description: Its id.
  returned: always
  type: str
name:
  description: Its name.
  returned: always
  type: str
allocationstate:
  description: Its allocation state after the task (what it would be, in check mode).
  returned: always
  type: str
  sample: Disabled
diff:
  description: C(allocationstate) before and after.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.args import location_spec
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.allocation import AllocationStateBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            **location_spec("zone", "pod", "cluster"),
            state=dict(type="str", required=True, choices=["enabled", "disabled"]),
        ),
        selectors=("zone", "pod", "cluster"),
        required_one_of=[("zone", "pod", "cluster")],
        supports_check_mode=True,
    )
    module.run_backend(AllocationStateBackend)


if __name__ == "__main__":
    main()
