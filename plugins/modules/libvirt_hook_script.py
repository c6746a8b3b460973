#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_hook_script
short_description: Manage a custom script of the KVM qemu hook, for some guest events or all of them
version_added: 0.1.0
description:
  - Puts one custom script into the qemu hook's custom directory under the file names the hook runs it by,
    C(all_<name>) for every event, or C(<action>_<name>) for each listed action. The hook (this collection's
    dispatcher or CloudStack's own hook) runs the scripts of an event in the order of C(<name>), so choose
    names like C(10-register-dns.sh) to place a script.
  - Declarative. With O(state=present) the files for O(actions) get the content, mode and owner, and files
    of the same O(name) for other actions are removed, so changing O(actions) moves the script. With
    O(state=absent) every file of that O(name) is removed.
  - Files are written atomically (temporary file and rename), so the hook never runs a half-written script.
  - Every script gets four arguments (domain name, action, sub-operation, extra argument, for example
    C(i-2-42-VM start begin -)), and with this collection's dispatcher the domain XML on stdin.
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.host
  - csops.cloudstack.host.custom_dir
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description:
      - The script's name without the action prefix; it sets the order among the scripts of an event.
      - Must not contain C(/), line breaks or other control characters.
    type: str
    required: true
  actions:
    description:
      - The events the script runs for, among V(prepare), V(start), V(started), V(stopped), V(release),
        V(migrate), V(restore), V(reconnect), V(attach); or V(all) (alone) for every event.
    type: list
    elements: str
    default: [all]
  content:
    description:
      - The script's text. It must start with a C(#!) line naming its interpreter (or be an ELF binary); the
        hook skips any other file with an Exec format error, as CloudStack's hook does.
      - Mutually exclusive with O(src); one of them is required with O(state=present).
    type: str
  src:
    description:
      - Absolute path of a file on the managed host to install as the script.
      - Mutually exclusive with O(content).
    type: path
  state:
    description:
      - Whether the script is installed.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - Mode of the script files, as an octal string. Use a mode without execute permission to keep a
        script installed but disabled; the hook logs and skips it.
    type: raw
    default: '0755'
  owner:
    description:
      - Owner of the script files (and of the custom directory when the module creates it).
  group:
    description:
      - Group of the script files (and of the custom directory when the module creates it).
notes:
  - O(custom_dir) is created (mode 0755) when it is missing.
  - Every input is checked before anything is written; a bad one fails the task with one line naming the
    option.
  - Ordering compares the text after the first underscore, byte by byte, so C(migrate_abc.py) runs before
    C(all_cde.sh) on migrate; for equal names the whole file name decides.
  - Scripts run one at a time and hold up the guest event while they run; keep them short.
seealso:
  - module: csops.cloudstack.libvirt_hook
  - module: csops.cloudstack.libvirt_hook_info
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Tag guests in the CMDB when they start and stop
  csops.cloudstack.libvirt_hook_script:
    name: 50-cmdb.sh
    actions: [started, stopped]
    content: |
      #!/bin/sh
      # $1 domain, $2 action, $3 sub-operation, $4 extra; the domain XML is on stdin
      exec /usr/local/bin/cmdb-notify --domain "$1" --event "$2"

- name: Run a script on every event, from a file already on the host
  csops.cloudstack.libvirt_hook_script:
    name: 10-audit.py
    src: /usr/local/lib/hooks/audit.py

- name: Remove a script, whatever actions it was installed for
  csops.cloudstack.libvirt_hook_script:
    name: 50-cmdb.sh
    state: absent
"""

RETURN = r"""
files:
  description: One item per file of the script's name that was wanted or found, in name order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: File path.
      type: str
      sample: /etc/libvirt/hooks/custom/started_50-cmdb.sh
    action:
      description: Action prefix of the file, or V(all).
      type: str
      sample: started
    state:
      description: V(created), V(updated), V(unchanged) or V(removed) (what would happen, in check mode).
      type: str
      sample: created
paths:
  description: The script's file paths after the task (empty when absent).
  returned: always
  type: list
  elements: str
  sample: [/etc/libvirt/hooks/custom/started_50-cmdb.sh, /etc/libvirt/hooks/custom/stopped_50-cmdb.sh]
actions:
  description: The normalized actions (V([all]) or the listed actions in event order).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook.backend import manage_script


def main():
    module = HostModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            actions=dict(type="list", elements="str", default=["all"]),
            content=dict(type="str"),
            src=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            mode=dict(type="raw", default="0755"),
        ),
        paths=("custom_dir",),
        owner=True,
        mutually_exclusive=[("content", "src")],
        required_if=[("state", "present", ("content", "src"), True)],
    )
    module.run(manage_script)


if __name__ == "__main__":
    main()
