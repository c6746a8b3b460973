#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: diagnostics
short_description: Run ping, traceroute or arping inside a CloudStack system VM or virtual router
version_added: 0.3.0
description:
  - Runs a network test from inside a secondary storage VM, console proxy VM or virtual router with CloudStack's
    C(runDiagnostics), and returns what the command printed and its exit code.
  - The input is checked the way CloudStack checks it, before anything is sent, so a bad O(type), O(ipaddress)
    or O(params) fails at once with one line and no API call.
  - CloudStack runs C("<type> <ipaddress> [params]") with C(/opt/cloud/bin/diagnostics.py) in the VM, over the
    VM's link-local SSH from its host, with a timeout of 60 seconds. The script adds C(-c 4) to ping and arping
    and C(-m 20) to traceroute unless O(params) sets them.
  - A network test changes nothing in the cloud, so the module never reports a change, and it runs in check mode
    too. A failed test is not a failed task; use RV(success) or RV(exitcode) in C(failed_when).
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.wait
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
    details: The test runs in check mode too; it changes nothing.
  diff_mode:
    support: none
options:
  name:
    description:
      - Name of the system VM or router, for example C(s-1-VM), C(v-2-VM) or C(r-4-VM).
      - System VMs are looked up first, then routers.
    type: str
  id:
    description:
      - Id (UUID) of the system VM or router.
    type: str
  type:
    description:
      - The command to run, V(ping), V(traceroute) or V(arping), in any case as CloudStack accepts it.
      - Anything else is refused before anything is sent.
    type: str
    required: true
  ipaddress:
    description:
      - The address to test, an IP address or a host name the VM can resolve.
      - CloudStack only requires it not to be empty, but puts it on a command line that the VM splits on white
        space, so anything that is not one IP address or host name is refused here, and so is a control
        character (a line break, a carriage return, a tab).
    type: str
    required: true
  params:
    description:
      - Extra options for the command, for example C(-c 10 -W 1) for ping.
      - CloudStack allows only letters, digits, C(_), C(-), C(.) and white space (C(^[\w\-\s.]+$)); anything else
        is refused before anything is sent.
      - CloudStack's C(\s) also matches a line break, a carriage return or a tab, and the command line is run by
        a shell in the VM, where a line break would start a second command; so every control character is refused
        here too, in check mode as well.
    type: str
notes:
  - With O(wait=false) the module returns RV(jobid) only; the output is in the job's result.
  - Admin only (CloudStack's C(runDiagnostics) is an admin API, since 4.12).
  - The collection's guide C(docs/system-vm-access.md) shows how to reach system VMs over SSH, through their host.
seealso:
  - module: csops.cloudstack.diagnostics_data
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Can the router reach its gateway?
  csops.cloudstack.diagnostics:
    name: r-4-VM
    type: ping
    ipaddress: 10.1.1.1
    params: -c 2 -W 1
  register: ping
  failed_when: not ping.success

- name: Trace the way from the secondary storage VM to the NFS server
  csops.cloudstack.diagnostics:
    name: s-1-VM
    type: traceroute
    ipaddress: nfs.example.com

- name: Who answers ARP for the guest gateway?
  csops.cloudstack.diagnostics:
    id: 9b2f9a0c-3d5e-4c7a-8f1e-2a6b7c8d9e0f
    type: arping
    ipaddress: 10.1.1.1
    params: -c 3 -I eth0
  register: arp

- name: Show it
  ansible.builtin.debug:
    var: arp.stdout_lines
"""

RETURN = r"""
stdout:
  description: What the command printed on standard output, as CloudStack returns it.
  returned: when waited for
  type: str
  sample: "PING 10.1.1.1 (10.1.1.1) 56(84) bytes of data.\n64 bytes from 10.1.1.1: icmp_seq=1 ttl=64 time=0.04 ms"
stdout_lines:
  description: RV(stdout) split into lines.
  returned: when waited for
  type: list
  elements: str
stderr:
  description: What the command printed on standard error.
  returned: when waited for
  type: str
stderr_lines:
  description: RV(stderr) split into lines.
  returned: when waited for
  type: list
  elements: str
exitcode:
  description: The command's exit code as a number (CloudStack returns it as text); null if it was not a number.
  returned: when waited for
  type: int
  sample: 0
success:
  description: Whether the exit code is 0.
  returned: when waited for
  type: bool
command_line:
  description: The command CloudStack runs in the VM (without the defaults the VM's script adds).
  returned: always
  type: str
  sample: ping 10.1.1.1 -c 2 -W 1
vm:
  description: The VM the command ran in.
  returned: always
  type: dict
  contains:
    id: {description: "Its id.", type: str}
    name: {description: "Its name.", type: str}
    type: {description: "C(secondarystoragevm), C(consoleproxy) or C(router).", type: str}
    state: {description: "Its state.", type: str}
    hostname: {description: "The hypervisor host it runs on.", type: str}
    hostid: {description: "Id of that host.", type: str}
    linklocalip: {description: "Its link-local (control) address.", type: str}
    hypervisor: {description: "Its hypervisor type.", type: str}
    zonename: {description: "Its zone.", type: str}
jobid:
  description: Id of the C(runDiagnostics) job.
  returned: always
  type: str
changed:
  description: Always false.
  returned: always
  type: bool
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._diagnostics.run import DiagnosticsBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            type=dict(type="str", required=True),
            ipaddress=dict(type="str", required=True),
            params=dict(type="str"),
        ),
        with_wait=True,
        selectors=("name", "id"),
        uuids=("id",),
        mutually_exclusive=[("name", "id")],
        required_one_of=[("name", "id")],
        supports_check_mode=True,
    )
    module.run_backend(DiagnosticsBackend)


if __name__ == "__main__":
    main()
