#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: diagnostics_data
short_description: Bring the logs and state of a CloudStack system VM or virtual router to the controller
version_added: 0.3.0
description:
  - Collects files and command output (iptables rules, addresses, rules, routes, logs, configuration) from a
    secondary storage VM, console proxy VM or virtual router as CloudStack's diagnostics zip, downloads it at once
    into O(dest) on the controller, checks that it is a whole zip with CloudStack's layout, and returns its
    manifest (C(fileinfo.txt)) as data. O(unpack) also unpacks it beside the zip.
  - "The URL way (RV(method=url)): C(getDiagnosticsData) makes the zip in the VM, copies it to secondary storage
    and returns a URL served by the zone's secondary storage VM, which the module downloads right away (CloudStack
    deletes the file after C(diagnostics.data.max.file.age), a day by default)."
  - "The SSH way (RV(method=ssh)): when the URL cannot be downloaded from the controller, the module connects to the
    VM's KVM host over SSH and runs there what CloudStack runs: the VM's own C(/opt/cloud/bin/get_diagnostics_files.py)
    through C(ssh -p 3922 -i /root/.ssh/id_rsa.cloud root@<link-local address>). The zip has the same files and
    layout; it is copied back over the same connection and then removed from the VM with C(/opt/cloud/bin/cleanup.sh),
    as CloudStack does. Nothing is written on the host."
  - O(files) and O(dest) are checked before anything is sent.
requirements:
  - paramiko (on the controller), for the SSH way only
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.wait
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
    details: Finds the VM and reports the way that would be tried; nothing is collected or written.
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
  files:
    description:
      - What to collect. Each entry is a file path in the VM (added to the zip by its base name; files that do
        not exist are left out), or one of C(iptables), C(ipaddr), C(iprule), C(iproute) (the output of
        C(iptables-save), C(ip address), C(ip rule list), C(ip route show table all)), or C([NAME]) to run the VM's
        C(/opt/cloud/bin/NAME).
      - When not given, CloudStack's default list for the VM's kind is used, from the settings
        C(diagnostics.data.router.defaults) and C(diagnostics.data.systemvm.defaults); the SSH way reads the same
        settings.
      - Entries with white space, commas, quotes or shell characters are refused, since CloudStack joins the list
        with spaces into a command line in the VM.
    type: list
    elements: str
  dest:
    description:
      - Absolute path of a directory on the controller for the zip (created with mode 0700 when missing). The zip
        is named after the VM and the zip's name at the source (for the URL way, C(diagnostics_files_<UTC time>.zip)
        as the VM names it), and written with mode 0600.
      - It must be one line, at most 4096 bytes long with no directory name longer than 255 bytes (Linux's limits),
        and not an existing file; a relative path is refused. It is checked before anything is sent, in check mode
        too.
    type: path
    required: true
  unpack:
    description:
      - Also unpack the zip into a directory beside it, named like the zip without C(.zip). An earlier directory of
        that name is replaced. Entries that would land outside it, and symbolic links, are refused.
    type: bool
    default: false
  max_size:
    description:
      - Largest zip to download, and largest total size to unpack, in MiB.
    type: int
    default: 512
  fallback:
    description:
      - When to use the SSH way.
      - V(auto) uses it when the URL cannot be downloaded (connection refused or reset, timeout, name lookup,
        TLS or HTTP error); the reason is in RV(url_error).
      - V(never) fails when the URL cannot be downloaded.
      - V(always) does not call C(getDiagnosticsData) at all.
    type: str
    choices: [auto, never, always]
    default: auto
  url_validate_certs:
    description:
      - Verify the TLS certificate of the download URL (served by the secondary storage VM, which often has a
        certificate of its own).
    type: bool
    default: true
  url_ca_file:
    description:
      - CA bundle to verify the download URL's certificate with.
      - It must be an existing file on the controller; this is checked before anything is sent, in check mode too.
    type: path
  url_timeout:
    description: Seconds to wait for the download server to connect and answer each read.
    type: int
    default: 30
  ssh:
    description:
      - How to reach the VM's KVM host for the SSH way. The host's address comes from CloudStack unless
        O(ssh.address) is given.
      - The host must run the VM and hold CloudStack's key for it; the user must be able to read that key (root,
        or O(ssh.become)).
    type: dict
    default: {}
    suboptions:
      address:
        description:
          - Address or name to reach the KVM host at, when not the address CloudStack lists for it (the host's
            C(ipaddress)), for example a name that resolves to its management interface.
        type: str
      user:
        description: User on the KVM host.
        type: str
        default: root
      port:
        description: SSH port of the KVM host.
        type: int
        default: 22
      private_key:
        description:
          - Private key file (on the controller) for the KVM host. Without it, the SSH agent and the usual
            C(~/.ssh/id_*) keys are tried.
        type: path
      known_hosts:
        description:
          - Known hosts file (on the controller) to check the KVM host's key against; default C(~/.ssh/known_hosts).
        type: path
      host_key_checking:
        description:
          - Refuse a KVM host whose key is unknown or different. When false any key is accepted (and not saved).
        type: bool
        default: true
      vm_key:
        description:
          - Path, on the KVM host, of the key that opens the system VMs. CloudStack keeps it at
            C(/root/.ssh/id_rsa.cloud).
        type: str
        default: /root/.ssh/id_rsa.cloud
      become:
        description: Run the commands on the host with C(sudo -n), for a user other than root.
        type: bool
        default: false
notes:
  - O(wait_timeout) bounds the whole task, the job, the download and the SSH way included. O(wait=false) is
    refused, since the zip is downloaded as soon as the job ends.
  - The zip holds configuration and logs of the VM (for example C(agent.properties)); keep O(dest) private.
    The download URL CloudStack returns needs no credentials; anyone who has it can fetch the zip until
    CloudStack removes it. So the module uses it for the download only and never returns or shows it whole;
    RV(url) holds only its scheme and host.
  - Each run collects a new zip, so the module always reports a change (except in check mode, where it reports
    the change it would make).
  - The SSH way works for VMs on KVM hosts; for VMware CloudStack reaches system VMs from the management server.
  - The collection's guide C(docs/system-vm-access.md) describes SSH access to system VMs and both ways.
seealso:
  - module: csops.cloudstack.diagnostics
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Bring home the default files of a router
  csops.cloudstack.diagnostics_data:
    name: r-4-VM
    dest: /var/tmp/diagnostics
    unpack: true
  register: diag

- name: Which files made it
  ansible.builtin.debug:
    msg: "{{ diag.manifest | selectattr('found') | map(attribute='path') | list }}"

- name: A few files of the secondary storage VM, through its KVM host if the URL is not reachable
  csops.cloudstack.diagnostics_data:
    name: s-1-VM
    files: [iptables, iproute, /var/log/cloud.log, /etc/cloudstack-release]
    dest: "{{ playbook_dir }}/diagnostics"
    ssh:
      user: admin
      become: true
      private_key: ~/.ssh/kvm_admin
      known_hosts: ~/.ssh/known_hosts_kvm

- name: Only through the host (the secondary storage URL is firewalled off)
  csops.cloudstack.diagnostics_data:
    name: v-2-VM
    dest: /var/tmp/diagnostics
    fallback: always
"""

RETURN = r"""
method:
  description: The way the zip came, C(url) or C(ssh) (in check mode, the way that would be tried first).
  returned: always
  type: str
  sample: url
path:
  description: The zip on the controller.
  returned: unless in check mode
  type: str
  sample: /var/tmp/diagnostics/r-4-VM-4d1c8c6e-2b9f-4e37-9a31-0f3f3b7e2c55.zip
size:
  description: Its size in bytes.
  returned: unless in check mode
  type: int
mode:
  description: The zip's mode on the controller (Ansible adds the file attributes of RV(path) to the result).
  returned: unless in check mode
  type: str
  sample: "0600"
owner:
  description: The zip's owner.
  returned: unless in check mode
  type: str
group:
  description: The zip's group.
  returned: unless in check mode
  type: str
uid:
  description: The zip's owner, as a number.
  returned: unless in check mode
  type: int
gid:
  description: The zip's group, as a number.
  returned: unless in check mode
  type: int
state:
  description: C(file), the kind of RV(path).
  returned: unless in check mode
  type: str
entries:
  description: The names in the zip, sorted.
  returned: unless in check mode
  type: list
  elements: str
  sample: [fileinfo.txt, hosts, iptables.log, resolv.conf]
manifest:
  description: The zip's C(fileinfo.txt), one item per line.
  returned: unless in check mode
  type: list
  elements: dict
  contains:
    path: {description: "The path in the VM (or the name of a command's output, like C(iptables.log)).", type: str}
    entry: {description: "Its name in the zip; null when it could not be added.", type: str}
    found: {description: "False when the VM marked it C(File Not Found!!).", type: bool}
files:
  description: The unpacked files, sorted; empty without O(unpack).
  returned: always
  type: list
  elements: str
unpacked_dir:
  description: The directory the zip was unpacked into.
  returned: when O(unpack=true) and not in check mode
  type: str
url:
  description:
    - The scheme and host of the URL CloudStack returned (null for the SSH way alone).
    - Only these, on purpose. The whole URL is the only key to the zip on secondary storage, so it is never
      returned or shown.
  returned: always
  type: str
  sample: https://10.1.1.5
url_error:
  description: Why the URL could not be downloaded, when the SSH way was used instead.
  returned: when the SSH way was used as a fallback
  type: str
jobid:
  description: Id of the C(getDiagnosticsData) job.
  returned: when the URL way was tried
  type: str
requested:
  description: The list the SSH way collected (O(files), or CloudStack's default list).
  returned: when the SSH way was used
  type: list
  elements: str
zip_in_vm:
  description: The zip's path in the VM, for the SSH way.
  returned: when the SSH way was used
  type: str
  sample: /root/diagnostics_files_20261130-153000.zip
cleanup:
  description: What the VM's C(cleanup.sh) said when the SSH way removed the zip from the VM.
  returned: when the SSH way was used
  type: str
cleanup_error:
  description: Why the zip could not be removed from the VM (the task still succeeds).
  returned: when that failed
  type: str
ssh_host:
  description: The KVM host the SSH way went through (name, address, port, user).
  returned: when the SSH way was used
  type: dict
vm:
  description: The VM (id, name, type, state, hostname, hostid, linklocalip, hypervisor, zonename).
  returned: always
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._diagnostics.data import DiagnosticsDataBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            files=dict(type="list", elements="str"),
            dest=dict(type="path", required=True),
            unpack=dict(type="bool", default=False),
            max_size=dict(type="int", default=512),
            fallback=dict(type="str", choices=["auto", "never", "always"], default="auto"),
            url_validate_certs=dict(type="bool", default=True),
            url_ca_file=dict(type="path"),
            url_timeout=dict(type="int", default=30),
            ssh=dict(type="dict", default={}, options=dict(
                address=dict(type="str"),
                user=dict(type="str", default="root"),
                port=dict(type="int", default=22),
                private_key=dict(type="path"),
                known_hosts=dict(type="path"),
                host_key_checking=dict(type="bool", default=True),
                # A path on the host, not the key itself.
                vm_key=dict(type="str", default="/root/.ssh/id_rsa.cloud", no_log=False),
                become=dict(type="bool", default=False),
            )),
        ),
        with_wait=True,
        selectors=("name", "id"),
        uuids=("id",),
        mutually_exclusive=[("name", "id")],
        required_one_of=[("name", "id")],
        supports_check_mode=True,
    )
    module.run_backend(DiagnosticsDataBackend)


if __name__ == "__main__":
    main()
