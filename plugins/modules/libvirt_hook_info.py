#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_hook_info
short_description: Show which custom qemu hook scripts run for each guest event, and which files never do
version_added: 0.1.0
description:
  - Reads the qemu hook and its custom script directory on a KVM host and returns the execution plan, for
    each valid action (prepare, start, started, stopped, release, migrate, restore, reconnect, attach) the
    scripts that run, in order.
  - Lists the files that will not run and why (no action prefix, an unknown action, not executable, not a
    regular file), and files that run but look like backup copies; each also becomes a warning.
  - Tells which hook is installed (this collection's dispatcher, CloudStack's own hook, another one, or none)
    and the settings it applies (custom directory, log, timeout, grace period).
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.INFO_MODULE
  - csops.cloudstack.host.hooks_dir
options:
  custom_dir:
    description:
      - Directory of the custom scripts, an absolute path.
      - By default the directory the installed hook reads (this collection's dispatcher records it; CloudStack's
        hook always uses C(/etc/libvirt/hooks/custom)), else C(/etc/libvirt/hooks/custom).
    type: path
notes:
  - File names that are not valid UTF-8 are shown with their undecodable bytes as C(\\xNN) escapes.
  - The plan is what the hook will do on the next event. libvirt looks for the hook file only when libvirtd
    starts, so a hook installed after that runs only after a libvirtd restart.
seealso:
  - module: csops.cloudstack.libvirt_hook
  - module: csops.cloudstack.libvirt_hook_script
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: What runs when a guest starts
  csops.cloudstack.libvirt_hook_info:
  register: hook

- name: Show the start sequence
  ansible.builtin.debug:
    msg: "{{ hook.plan.prepare + hook.plan.start + hook.plan.started }}"

- name: Fail when a script is silently skipped
  ansible.builtin.assert:
    that: hook.ignored | selectattr('reason', 'eq', 'not_executable') | list | length == 0
"""

RETURN = r"""
dispatcher:
  description: The hook file at C(<hooks_dir>/qemu).
  returned: always
  type: dict
  contains:
    path:
      description: Hook path.
      type: str
      sample: /etc/libvirt/hooks/qemu
    kind:
      description: V(csops) (this collection's dispatcher), V(cloudstack), V(other) or V(absent).
      type: str
      sample: csops
    executable:
      description: Whether the hook file is executable (libvirt ignores it otherwise).
      type: bool
    settings:
      description:
        - C(custom_dir), C(log_path), C(timeout) and C(grace_period) the hook applies (C(grace_period) null for
          CloudStack's hook). Null for another hook or none.
      type: dict
custom_dir:
  description: The directory the plan is for, and whether it exists.
  returned: always
  type: dict
  sample: {"path": "/etc/libvirt/hooks/custom", "exists": true}
plan:
  description: For each valid action, the file names of the scripts that run, in order.
  returned: always
  type: dict
  sample: {"start": ["start_05-net.sh", "all_10-audit.py"], "migrate": ["all_10-audit.py"]}
scripts:
  description: Every file of the custom directory that runs for at least one action.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name.
      type: str
    path:
      description: File path.
      type: str
    actions:
      description: Actions it runs for.
      type: list
      elements: str
    mode:
      description: File mode.
      type: str
      sample: "0755"
ignored:
  description: Files that never run or are skipped on each event, and why.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name.
      type: str
    path:
      description: File path.
      type: str
    reason:
      description: V(no_action_prefix), V(unknown_action), V(not_executable) or V(not_a_file).
      type: str
    message:
      description: A sentence saying what happens to the file.
      type: str
notices:
  description: Files that run but deserve a look (reason V(backup_name)), same fields as RV(ignored).
  returned: always
  type: list
  elements: dict
files:
  description: Every entry of the custom directory, with C(name), C(path), C(is_file), C(is_link), C(is_dir),
    C(executable) and C(mode).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook.backend import read_plan


def main():
    module = HostModule(argument_spec=dict(custom_dir=dict(type="path")), paths=("hooks_dir",))
    module.run(read_plan)


if __name__ == "__main__":
    main()
