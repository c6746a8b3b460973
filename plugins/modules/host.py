#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host
short_description: Enable, disable or put a CloudStack KVM host into maintenance, with the drain reported
version_added: 0.3.0
description:
  - Sets the resource state of one hypervisor host, chosen by O(name) or O(id).
  - V(maintenance) first checks, before anything changes, that the host is C(Up), that no VM of its cluster is
    C(Starting), C(Stopping), C(Migrating), C(Error) or C(Unknown), and that the other C(Up) and C(Enabled) hosts of
    the cluster can hold the host's VMs together (CPU and memory, with the cluster's overcommit ratios, every user
    VM placed). CloudStack's own check tests each VM alone, so a host whose VMs only fit one by one would end in
    C(ErrorInMaintenance) halfway; this module refuses it instead, unless O(force=true).
  - It then calls C(prepareHostForMaintenance) and waits until the host is in C(Maintenance), and reports the drain
    in RV(drain) (every user VM, router and system VM that was on the host, and where it went). While the host
    drains it is read at most 3 seconds apart (one C(listHosts) of that host), so the end of the drain is seen
    within 3 seconds.
  - C(ErrorInPrepareForMaintenance) (a migration failed, others still pending) is waited through, as CloudStack
    moves on from it. C(ErrorInMaintenance) fails the task with one line naming the VMs still on the host; so does
    a host still draining when O(wait_timeout) is up (CloudStack would go on and
    might put it into maintenance later, unseen). With O(on_error=cancel) the host is taken out of maintenance
    again before the task fails.
  - V(enabled) cancels maintenance (from any maintenance state) or enables a C(Disabled) host.
    V(disabled) disables the host, cancelling maintenance first when it is in one.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.wait
  - csops.cloudstack.location.ZONE
  - csops.cloudstack.location.POD
  - csops.cloudstack.location.CLUSTER
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
    details: Runs every check and reports the VMs that would move in RV(drain); nothing is sent that changes.
  diff_mode:
    support: full
options:
  name:
    description:
      - Name of the host, for example C(kvm1). O(zone), O(pod) and O(cluster) narrow the search.
      - An empty name is an error.
    type: str
  id:
    description: Id (UUID) of the host.
    type: str
  state:
    description: The resource state the host must be in.
    type: str
    required: true
    choices: [enabled, disabled, maintenance]
  on_error:
    description:
      - What to do when maintenance fails (an error state, a failed job, or the time running out).
      - V(cancel) takes the host out of maintenance again (C(cancelHostMaintenance)) before failing; to make sure
        this fits in O(wait_timeout), a fifth of it (at most 60 seconds) is kept back from the wait for
        C(Maintenance).
      - V(leave) leaves the host as it is, for an operator to look at.
    type: str
    choices: [cancel, leave]
    default: cancel
  force:
    description:
      - Go into maintenance even when the rest of the cluster cannot hold the host's VMs together. The task warns,
        and reports RV(forced=true). VMs that find no room leave the host in C(ErrorInMaintenance); on the last
        C(Up) host of a cluster CloudStack stops the user VMs instead of moving them.
      - The other checks (host C(Up), no VM in a transitional state) always apply.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds for the whole task, every request included (the drain of a full host takes a while).
    type: int
    default: 1800
notes:
  - O(wait=false) returns once C(prepareHostForMaintenance) (or C(cancelHostMaintenance) for V(enabled)) is
    accepted; RV(drain) then lists the VMs that are to move.
  - A host already C(PrepareForMaintenance) (a drain started earlier) is waited for; nothing new is sent.
  - A host already in C(Maintenance) is left alone (C(changed=false)) and read once.
seealso:
  - module: csops.cloudstack.cluster_info
  - module: csops.cloudstack.allocation_state
  - module: csops.cloudstack.rolling_maintenance
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Put kvm4 into maintenance, report where its VMs went
  csops.cloudstack.host:
    name: kvm4
    state: maintenance
  register: maint

- name: Show the drain
  ansible.builtin.debug:
    msg: "{{ maint.drain | map(attribute='name') | zip(maint.drain | map(attribute='to_host')) | list }}"

- name: Take it out of maintenance again
  csops.cloudstack.host:
    name: kvm4
    state: enabled

- name: Stop new VMs landing on a host of one cluster
  csops.cloudstack.host:
    name: kvm5
    cluster: lab-cluster1
    state: disabled
"""

RETURN = r"""
host:
  description: The host after the task (before it in check mode).
  returned: always
  type: dict
  contains:
    id: {description: "Host id.", type: str}
    name: {description: "Host name.", type: str}
    state: {description: "Agent state: C(Up), C(Disconnected), C(Alert) ...", type: str}
    resourcestate: {description: "C(Enabled), C(Disabled), C(PrepareForMaintenance), C(Maintenance) ...", type: str}
    clusterid: {description: "Cluster id.", type: str}
    clustername: {description: "Cluster name.", type: str}
    podid: {description: "Pod id.", type: str}
    zoneid: {description: "Zone id.", type: str}
drain:
  description:
    - With O(state=maintenance), every VM that was on the host and where it is now (in check mode, or when not
      waited for, the VMs that are to move). Empty otherwise.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "VM id.", type: str}
    name: {description: "VM name.", type: str}
    kind: {description: "C(user), C(router) or C(systemvm).", type: str}
    from_host: {description: "The host it was on.", type: str}
    to_host: {description: "The host it is on now; null when it did not move or was stopped.", type: str}
    state: {description: "Its state now.", type: str}
    moved: {description: "Whether it left the host (migrated, or stopped by CloudStack).", type: bool}
capacity:
  description: The capacity check of O(state=maintenance); null when no check ran.
  returned: always
  type: dict
  contains:
    cpu_needed_mhz: {description: "CPU allocated on the host (MHz).", type: int}
    cpu_free_mhz: {description: "CPU free on the other Up and Enabled hosts, with the overcommit ratio (MHz).", type: int}
    memory_needed: {description: "Memory allocated on the host (bytes).", type: int}
    memory_free:
      description: Memory free on the other Up and Enabled hosts, with the overcommit ratio (bytes).
      type: int
    fits: {description: "Whether everything fits.", type: bool}
    hosts: {description: "The hosts that can take VMs.", type: list, elements: str}
    unplaced: {description: "User VMs the placement found no room for.", type: list, elements: str}
forced:
  description: Whether O(force) overrode a failed capacity check.
  returned: always
  type: bool
jobid:
  description: The last job this task started and did not wait for, or the prepareHostForMaintenance job.
  returned: when a job was started
  type: str
cancel_jobid:
  description:
    - The C(cancelHostMaintenance) job this task sent, to take the host out of maintenance or, with
      O(on_error=cancel), to restore it after a failed maintenance.
    - When that job did not finish in time the failure message says so and this id lets you follow it.
  returned: when such a job was sent
  type: str
cancel_error:
  description: Why taking the host out of maintenance after a failure failed too, in full.
  returned: when cancelling a failed maintenance failed
  type: str
diff:
  description: The resource state before and after, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.args import location_spec
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.host import HostBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            **location_spec("zone", "pod", "cluster"),
            state=dict(type="str", required=True, choices=["enabled", "disabled", "maintenance"]),
            on_error=dict(type="str", default="cancel", choices=["cancel", "leave"]),
            force=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1800),
        ),
        with_wait=True,
        selectors=("name", "id", "zone", "pod", "cluster"),
        uuids=("id",),
        mutually_exclusive=[("name", "id")],
        required_one_of=[("name", "id")],
        supports_check_mode=True,
    )
    module.run(lambda m: HostBackend(m.client, m.params, m.check_mode, m._diff, m.deadline(), warn=m.warn).run())


if __name__ == "__main__":
    main()
