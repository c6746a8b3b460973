#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rolling_maintenance
short_description: Run CloudStack's KVM rolling maintenance (startRollingMaintenance) and wait for it
version_added: 0.3.0
description:
  - Starts C(startRollingMaintenance) for some hosts, clusters, pods or zones and waits for its job. CloudStack
    then takes the KVM hosts in scope, cluster by cluster and one host at a time, through the stage scripts
    C(PreFlight), C(PreMaintenance), C(Maintenance) and C(PostMaintenance) on each host and through maintenance
    mode, with the cluster disabled meanwhile.
  - Returns the hosts updated (with start, end, duration and the C(Maintenance) script's output) and the hosts
    skipped with CloudStack's reasons; fails with CloudStack's details when it reports no success.
  - Such a job runs for hours, so it is polled quickly at first, then at most once a minute.
  - Install the stage scripts with M(csops.cloudstack.rolling_maintenance_scripts).
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.wait
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: partial
    details: Resolves the names and checks the input; nothing is started, and the task reports a change.
  diff_mode:
    support: none
options:
  hosts:
    description: Hosts (names or ids). Exactly one of O(hosts), O(clusters), O(pods) and O(zones) is required.
    type: list
    elements: str
  clusters:
    description: Clusters (names or ids).
    type: list
    elements: str
  pods:
    description: Pods (names or ids).
    type: list
    elements: str
  zones:
    description: Zones (names or ids).
    type: list
    elements: str
  forced:
    description:
      - Skip a host (or a cluster with VMs in a transitional state) instead of stopping at it, as CloudStack's
        C(forced) does.
    type: bool
    default: false
  timeout:
    description:
      - Seconds each stage script may run; CloudStack's C(kvm.rolling.maintenance.stage.timeout) (1800) when not
        given. It must be greater than C(kvm.rolling.maintenance.ping.interval) (10), or CloudStack fails the run.
      - At most 2147483647 (CloudStack's integer); a value outside 1 to 2147483647 is refused before anything is
        sent, in check mode too.
    type: int
  payload:
    description:
      - Text passed to the stage scripts as their argument.
      - The agent's default (service) executor keeps only the part before the first comma and cannot start a
        stage when it holds a single quote; the task warns about both.
    type: str
  wait_timeout:
    description: Seconds to wait for the job, every poll included.
    type: int
    default: 86400
notes:
  - Without O(wait), the task returns the job id as soon as CloudStack accepts the job.
seealso:
  - module: csops.cloudstack.rolling_maintenance_scripts
  - module: csops.cloudstack.host
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Rolling maintenance of one cluster, each stage given 20 minutes
  csops.cloudstack.rolling_maintenance:
    clusters: [lab-cluster1]
    timeout: 1200
    payload: "--reboot"
  register: rolling

- name: Hosts and how long each took
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.duration_s }} s"
  loop: "{{ rolling.hosts_updated }}"
"""

RETURN = r"""
success:
  description: CloudStack's C(success); null when not waited for or in check mode.
  returned: always
  type: bool
details:
  description: CloudStack's C(details) (C(OK), or what went wrong).
  returned: always
  type: str
hosts_updated:
  description: The hosts that went through maintenance.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Host id.", type: str}
    name: {description: "Host name.", type: str}
    start: {description: "When its maintenance started, as CloudStack gives it.", type: str}
    end: {description: "When it ended.", type: str}
    duration_s: {description: "Seconds between the two.", type: float}
    output: {description: "What the host's C(Maintenance) script printed.", type: str}
hosts_skipped:
  description: The hosts skipped, each with CloudStack's reason.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Host id.", type: str}
    name: {description: "Host name.", type: str}
    reason: {description: "Why it was skipped.", type: str}
jobid:
  description: The job's id; null in check mode.
  returned: always
  type: str
scope:
  description: The parameter sent and the ids it names, for example C(clusterids) with a list of ids.
  returned: always
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.rolling import RollingMaintenanceBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            hosts=dict(type="list", elements="str"),
            clusters=dict(type="list", elements="str"),
            pods=dict(type="list", elements="str"),
            zones=dict(type="list", elements="str"),
            forced=dict(type="bool", default=False),
            timeout=dict(type="int"),
            payload=dict(type="str"),
            wait_timeout=dict(type="int", default=86400),
        ),
        with_wait=True,
        selectors=("hosts", "clusters", "pods", "zones"),
        mutually_exclusive=[("hosts", "clusters", "pods", "zones")],
        required_one_of=[("hosts", "clusters", "pods", "zones")],
        supports_check_mode=True,
    )
    module.run(lambda m: RollingMaintenanceBackend(m.client, m.params, m.check_mode, m._diff, m.deadline(),
                                                   warn=m.warn).run())


if __name__ == "__main__":
    main()
