#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: systemvm
short_description: Start, stop, restart, recreate or migrate CloudStack system VMs (SSVM, CPVM)
version_added: 0.1.0
description:
  - Manages the secondary storage VMs and console proxy VMs selected by name, by id, or by type (and zone).
  - V(started) and V(stopped) start or stop the VMs that are not in that state yet.
  - V(restarted) reboots running VMs and starts stopped ones; it always reports a change.
  - V(recreated) destroys each VM that does not run the expected version (and template, if given), and waits
    until CloudStack has created its replacement and the replacement is C(Running) with the expected version.
    VMs are recreated one at a time, so a zone with several console proxies keeps serving. A VM that already
    runs the expected version is left alone, so a second run changes nothing.
  - V(migrated) moves running VMs to O(host) (live migration); VMs already there are left alone.
  - Every change goes through CloudStack's asynchronous jobs, waited for unless O(wait=false).
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.wait
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
    details: Reports which VMs would change and how; nothing is started, stopped, destroyed or migrated.
  diff_mode:
    support: full
options:
  name:
    description:
      - Name of one system VM, for example C(s-1-VM).
      - An empty name is an error, refused before anything is sent (never "every system VM").
    type: str
  id:
    description:
      - Id (UUID) of one system VM. An empty or malformed id is an error.
    type: str
  type:
    description:
      - Every system VM of this type (in O(zone), when given).
      - With O(name) or O(id), the VM must be of this type.
    type: str
    choices: [consoleproxy, secondarystoragevm]
  zone:
    description:
      - Only system VMs of this zone (name or id).
      - An empty value is an error; leave the option out to mean every zone.
    type: str
  hypervisor:
    description:
      - Only system VMs running on this hypervisor type, for example C(KVM). Useful with O(template) in clouds
        with several hypervisors, where each has its own system VM template.
      - With O(template), the template is looked up for this hypervisor; without it, for the hypervisor of the
        selected VMs when they all share one, so same-named templates of other hypervisors do not get in the way.
    type: str
  state:
    description: What to do, see the description.
    type: str
    required: true
    choices: [started, stopped, restarted, recreated, migrated]
  host:
    description:
      - Hypervisor host (name or id) to migrate to. Required with O(state=migrated).
    type: str
  version:
    description:
      - Version the VMs must run after O(state=recreated), for example C(4.20.1.0) or C(4.20). C(4.20) matches
        any 4.20.x.
      - Defaults to the management server's version (C(cloudstackversion) of listCapabilities), which is what a
        system VM reports once it runs the current system VM template.
      - A value that is not a version (numbers and dots) is an error. A version the management server's does
        not match is refused before anything is destroyed, since a new system VM always reports the management
        server's version.
    type: str
  template:
    description:
      - Name or id of the template the VMs must run after O(state=recreated). A VM running another template is
        recreated even if its version matches.
      - Before anything is destroyed, the module checks that CloudStack would create each replacement from this
        template (the newest ready C(SYSTEM) template of the VM's hypervisor in its zone), and refuses otherwise.
      - In check mode a template that does not exist yet is not an error (an earlier task of the same run would
        register it); every selected VM is then reported as to be recreated.
    type: str
  forced:
    description: Force the stop (O(state=stopped)) or reboot (O(state=restarted)).
    type: bool
    default: false
notes:
  - CloudStack creates the replacement of a destroyed SSVM or CPVM by itself, from the newest ready system VM
    template of the zone's hypervisor. O(wait_timeout) bounds the whole task, every request included; the
    destroy jobs and the waits for the replacements share it.
  - When a step fails, the result still has the per-VM report in RV(systemvms), and C(changed=true) when a VM
    was changed (for example destroyed) before the failure.
  - After a template upgrade, restart the management servers before recreating the system VMs.
seealso:
  - module: csops.cloudstack.systemvm_info
  - module: csops.cloudstack.systemvm_template
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Recreate the secondary storage VM and console proxy of every zone on the new template
  csops.cloudstack.systemvm:
    type: "{{ item }}"
    state: recreated
    wait_timeout: 1800
  loop: [secondarystoragevm, consoleproxy]

- name: Move the console proxy off kvm1
  csops.cloudstack.systemvm:
    name: v-2-VM
    state: migrated
    host: kvm2

- name: Stop the SSVM of zone1
  csops.cloudstack.systemvm:
    type: secondarystoragevm
    zone: zone1
    state: stopped
"""

RETURN = r"""
systemvms:
  description: One item per selected system VM, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Id of the selected VM.", type: str}
    name: {description: "Name of the selected VM.", type: str, sample: s-1-VM}
    systemvmtype: {description: "C(secondarystoragevm) or C(consoleproxy).", type: str}
    zonename: {description: "Zone name.", type: str}
    action: {description: "C(start), C(stop), C(reboot), C(destroy), C(migrate), or null when nothing was needed.", type: str}
    changed: {description: "Whether this VM changed (or would change).", type: bool}
    jobid: {description: "Id of the job that did it.", type: str}
    before:
      description: The VM before (id, name, state, version, hostname, templatename).
      type: dict
    after:
      description: >-
        The VM after, as CloudStack reports it (for V(recreated), the replacement VM); null in check mode when it
        would change, and when not waited for.
      type: dict
expected_version:
  description: The version VMs must run, with O(state=recreated).
  returned: when state is recreated
  type: str
  sample: 4.20.1.0
diff:
  description: State, version and host of each VM before and after, by name, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._systemvm.backend import SystemVmBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            type=dict(type="str", choices=["consoleproxy", "secondarystoragevm"]),
            zone=dict(type="str"),
            hypervisor=dict(type="str"),
            state=dict(type="str", required=True,
                       choices=["started", "stopped", "restarted", "recreated", "migrated"]),
            host=dict(type="str"),
            version=dict(type="str"),
            template=dict(type="str"),
            forced=dict(type="bool", default=False),
        ),
        with_wait=True,
        selectors=("name", "id", "zone", "hypervisor", "host", "version", "template"),
        uuids=("id",),
        mutually_exclusive=[("name", "id")],
        required_one_of=[("name", "id", "type")],
        required_if=[("state", "migrated", ["host"])],
        supports_check_mode=True,
    )
    module.run_backend(SystemVmBackend)


if __name__ == "__main__":
    main()
