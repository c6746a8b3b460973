#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: libvirt_hook
short_description: Install the qemu hook dispatcher that runs custom scripts on KVM guest lifecycle events
version_added: 0.1.0
description:
  - Installs this collection's dispatcher as libvirt's qemu hook, C(<hooks_dir>/qemu), and makes sure the
    custom script directory exists. libvirt runs the hook on every guest event (prepare, start, started,
    stopped, release, migrate, restore, reconnect, attach); the dispatcher runs the custom scripts for that
    event the way CloudStack's own qemu hook does (names C(<action>_<name>) and C(all_<name>), ordered by
    C(<name>), the same four arguments, non-executable files skipped, output appended to the log, a timeout
    per script, a failing script never stops the others or libvirt).
  - Beyond CloudStack's hook, each script also gets the domain XML on stdin, a script still running after
    O(timeout) gets SIGTERM and, after O(grace_period), SIGKILL (with the processes it started), and every
    script is logged when it starts and, when it ends, as one record (its output, then a line with its exit
    status and duration) written whole, so that concurrent events never mix their lines.
  - Like CloudStack's hook, a file that is neither a C(#!) script nor an ELF binary is logged and skipped
    (Exec format error), rather than run as a shell script.
  - The dispatcher is a bash script (bash 5.1 or later) that starts nothing but the scripts themselves, so
    it adds a few milliseconds to a guest start, stop or migration (it uses C(dd) only to write a record
    with several lines or a long one). Its settings are written into it by this
    module; change them here, not by editing the file.
  - If CloudStack's own qemu hook is installed at the hook path, it is left in place and only the custom
    directory is managed. CloudStack's hook does real work on migrate (it rewrites bridge names in the
    domain XML libvirt uses) and runs the custom scripts itself. Its fixed 600 second timeout and its logging
    then apply, and O(timeout), O(grace_period) and O(log_path) do not; the module warns about this.
  - libvirt looks for hooks only when libvirtd starts. When this module creates the hook (or removes it),
    RV(restart_required) is true; restart libvirtd then, for example from a handler. Updating an installed
    dispatcher needs no restart.
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.host
  - csops.cloudstack.host.hooks_dir
  - csops.cloudstack.host.custom_dir
  - csops.cloudstack.host.log_path
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  state:
    description:
      - V(present) installs or updates the dispatcher; V(absent) removes it if it is this collection's
        dispatcher (a CloudStack hook or another hook is never removed). The custom directory and its
        scripts are kept either way.
    type: str
    choices: [present, absent]
    default: present
  timeout:
    description:
      - Seconds a custom script may run before it gets SIGTERM.
      - CloudStack's hook uses 600 seconds. libvirt waits for the hook, so this bounds how long one script can
        hold up a guest start, stop or migration. From 1 to 86400.
    type: int
    default: 600
  grace_period:
    description:
      - Seconds between SIGTERM and SIGKILL for the process group of a script that ran into O(timeout). V(0)
        kills at once. From 0 to 86400.
    type: int
    default: 10
  owner:
    description:
      - Owner of the hook file and of the directories the module creates.
  group:
    description:
      - Group of the hook file and of the directories the module creates.
  force:
    description:
      - Replace a hook at C(<hooks_dir>/qemu) that is neither this collection's dispatcher nor CloudStack's
        hook. A backup copy is kept next to it and returned in RV(backup_file).
      - Without it the module fails on such a hook and changes nothing.
    type: bool
    default: false
notes:
  - Every setting and path is checked before anything is written; a value the dispatcher cannot carry safely
    (a relative path, a line break or other control character, a log path that is a directory) is refused.
  - The hook file is written atomically (temporary file and rename) with mode 0755, owner O(owner):O(group);
    the custom directory gets mode 0755 and the same owner.
  - Manage the scripts with M(csops.cloudstack.libvirt_hook_script) and see what will run with
    M(csops.cloudstack.libvirt_hook_info); the role C(csops.cloudstack.libvirt_hooks) combines them with a
    libvirtd restart handler.
seealso:
  - module: csops.cloudstack.libvirt_hook_script
  - module: csops.cloudstack.libvirt_hook_info
  - name: libvirt hooks
    description: How libvirt calls the qemu hook, its arguments and the domain XML on stdin.
    link: https://libvirt.org/hooks.html
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Install the qemu hook dispatcher
  csops.cloudstack.libvirt_hook:
    timeout: 120
  register: qemu_hook
  notify: Restart libvirtd

- name: Remove the dispatcher (the custom scripts stay)
  csops.cloudstack.libvirt_hook:
    state: absent
"""

RETURN = r"""
hook_path:
  description: The hook file.
  returned: always
  type: str
  sample: /etc/libvirt/hooks/qemu
dispatcher:
  description:
    - What is at the hook path after the task (in check mode, what would be).
    - V(csops) this collection's dispatcher, V(cloudstack) CloudStack's own hook (left in place), V(other) another
      hook, V(absent) none.
  returned: always
  type: str
  sample: csops
previous:
  description: What was at the hook path before the task, with the same values as RV(dispatcher).
  returned: always
  type: str
  sample: absent
settings:
  description:
    - The settings the hook at the path applies after the task; C(grace_period) is null for CloudStack's hook,
      which has none. Null when there is no hook or another one.
  returned: always
  type: dict
  sample: {"custom_dir": "/etc/libvirt/hooks/custom", "log_path": "/var/log/libvirt/qemu-hook.log",
           "timeout": 600, "grace_period": 10}
restart_required:
  description:
    - Whether libvirtd must be restarted for the change to take effect. True when the hook file was created (or
      made executable) or removed, since libvirt looks for hooks only when it starts.
  returned: always
  type: bool
custom_dir:
  description: The custom script directory and whether the task created it.
  returned: always
  type: dict
  sample: {"path": "/etc/libvirt/hooks/custom", "created": false}
backup_file:
  description: Copy of a replaced foreign hook (O(force=true)).
  returned: when a foreign hook was replaced
  type: str
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook.backend import manage_hook
from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook.rules import (
    CLOUDSTACK_TIMEOUT,
    DEFAULT_GRACE_PERIOD,
)


def main():
    module = HostModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            timeout=dict(type="int", default=CLOUDSTACK_TIMEOUT),
            grace_period=dict(type="int", default=DEFAULT_GRACE_PERIOD),
            force=dict(type="bool", default=False),
        ),
        paths=("hooks_dir", "custom_dir", "log_path"),
        owner=True,
    )
    module.run(manage_hook)


if __name__ == "__main__":
    main()
