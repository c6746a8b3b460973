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
    script run is logged as one line with its exit status and duration.
  - The dispatcher is a bash script (bash 5.1 or later) that starts nothing but the scripts themselves, so
    it adds a few milliseconds to a guest start, stop or migration. Its settings are written into it by this
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
        hold up a guest start, stop or migration.
    type: int
    default: 600
  grace_period:
    description:
      - Seconds between SIGTERM and SIGKILL for a script that ran into O(timeout). V(0) kills at once.
    type: int
    default: 10
  hooks_dir:
    description:
      - libvirt's hook directory; the hook is C(<hooks_dir>/qemu).
    type: path
    default: /etc/libvirt/hooks
  custom_dir:
    description:
      - Directory of the custom scripts. CloudStack's hook always uses C(/etc/libvirt/hooks/custom).
    type: path
    default: /etc/libvirt/hooks/custom
  log_path:
    description:
      - File the dispatcher appends its log lines and the scripts' output to (the same file CloudStack's hook
        logs to). Its directory must exist; libvirt creates C(/var/log/libvirt).
    type: path
    default: /var/log/libvirt/qemu-hook.log
  force:
    description:
      - Replace a hook at C(<hooks_dir>/qemu) that is neither this collection's dispatcher nor CloudStack's
        hook. A backup copy is kept next to it and returned in RV(backup_file).
      - Without it the module fails on such a hook and changes nothing.
    type: bool
    default: false
notes:
  - The hook file is written atomically (temporary file and rename) with mode 0755, owner root:root; the
    custom directory gets mode 0755, owner root:root.
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

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.csops.cloudstack.plugins.module_utils._host import files
from ansible_collections.csops.cloudstack.plugins.module_utils._host.qemu_dispatcher import (
    DispatcherSettingsError,
    render,
)
from ansible_collections.csops.cloudstack.plugins.module_utils._host.qemu_hook import (
    MIN_BASH,
    bash_version,
    inspect_hook,
)
from ansible_collections.csops.cloudstack.plugins.module_utils.libvirt_hook import (
    DEFAULT_CUSTOM_DIR,
    DEFAULT_GRACE_PERIOD,
    DEFAULT_HOOKS_DIR,
    DEFAULT_LOG_PATH,
    DEFAULT_TIMEOUT,
    HOOK_ABSENT,
    HOOK_CLOUDSTACK,
    HOOK_CSOPS,
    HOOK_OTHER,
)

HOOK_MODE = 0o755
DIR_MODE = 0o755


class HookManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.path = os.path.join(self.params["hooks_dir"], "qemu")
        self.result = {"changed": False, "hook_path": self.path, "restart_required": False}
        self.diff = {"before_header": self.path, "after_header": self.path}

    def fail(self, reason, **extra):
        verb = "install" if self.params["state"] == "present" else "remove"
        self.module.fail_json(msg="%s qemu hook %s: %s" % (verb, self.path, reason), **extra)

    def present(self):
        params = self.params
        try:
            wanted = render(params["custom_dir"], params["log_path"], params["timeout"], params["grace_period"])
        except DispatcherSettingsError as error:
            self.fail(str(error))
        wanted_bytes = wanted.encode("utf-8", "surrogateescape")
        if not os.path.isdir(params["hooks_dir"]) and os.path.exists(params["hooks_dir"]):
            self.fail("%s is not a directory" % params["hooks_dir"])
        hook = inspect_hook(params["hooks_dir"])
        self.result["previous"] = hook["kind"]
        self.diff["before"] = hook["text"] or ""

        if hook["kind"] == HOOK_CLOUDSTACK:
            self.module.warn(
                "%s is CloudStack's qemu hook; it is left in place (it rewrites bridge names on migrate and runs "
                "the custom scripts itself) and only the custom directory is managed. Its fixed 600 s timeout "
                "without a grace period, its logging to /var/log/libvirt/qemu-hook.log and the custom directory "
                "/etc/libvirt/hooks/custom apply; timeout, grace_period and log_path of this task do not."
                % self.path)
            if not hook["executable"]:
                self.module.warn("%s is not executable, so libvirt does not run it" % self.path)
            if params["custom_dir"] != DEFAULT_CUSTOM_DIR:
                self.module.warn("CloudStack's hook runs the scripts in %s, not in %s"
                                 % (DEFAULT_CUSTOM_DIR, params["custom_dir"]))
            self.diff["after"] = self.diff["before"]
            self.result.update(dispatcher=HOOK_CLOUDSTACK, settings=hook["settings"])
            self.ensure_custom_dir()
            return

        if hook["kind"] == HOOK_OTHER and not params["force"]:
            self.fail("a hook that is neither this collection's dispatcher nor CloudStack's is installed there; "
                      "set force=true to replace it (a backup copy is kept)")
        if hook["attrs"] and not hook["attrs"]["is_file"] and not hook["attrs"]["is_link"]:
            self.fail("it exists and is not a regular file")

        version = bash_version(self.module)
        if version is None or version < MIN_BASH:
            self.fail("the dispatcher needs /bin/bash %d.%d or later, found %s"
                      % (MIN_BASH + (("%d.%d" % version) if version else "none",)))

        changed = files.needs_write(self.path, wanted_bytes, HOOK_MODE, 0, 0)
        if changed:
            self.result["changed"] = True
            self.result["restart_required"] = not hook["executable"]
            if not self.module.check_mode:
                if not os.path.isdir(params["hooks_dir"]):
                    files.ensure_dir(params["hooks_dir"], DIR_MODE, 0, 0, False)
                if hook["kind"] == HOOK_OTHER:
                    self.result["backup_file"] = self.module.backup_local(self.path)
                files.write_atomic(self.path, wanted_bytes, HOOK_MODE, 0, 0)
        self.diff["after"] = wanted
        self.result.update(dispatcher=HOOK_CSOPS, settings={
            "custom_dir": params["custom_dir"], "log_path": params["log_path"],
            "timeout": params["timeout"], "grace_period": params["grace_period"]})
        log_dir = os.path.dirname(params["log_path"])
        if not os.path.isdir(log_dir):
            self.module.warn("the log directory %s does not exist; the dispatcher discards its log and the scripts' "
                             "output until it does" % log_dir)
        self.ensure_custom_dir()

    def ensure_custom_dir(self):
        custom_dir = self.params["custom_dir"]
        parent = os.path.dirname(custom_dir.rstrip("/"))
        if not os.path.isdir(parent) and not self.module.check_mode:
            files.ensure_dir(parent, DIR_MODE, 0, 0, False)
        created = files.ensure_dir(custom_dir, DIR_MODE, 0, 0, self.module.check_mode)
        if created:
            self.result["changed"] = True
        self.result["custom_dir"] = {"path": custom_dir, "created": created == "created"}

    def absent(self):
        hook = inspect_hook(self.params["hooks_dir"])
        self.result.update(previous=hook["kind"], dispatcher=hook["kind"], settings=hook["settings"],
                           custom_dir={"path": self.params["custom_dir"], "created": False})
        self.diff["before"] = hook["text"] or ""
        self.diff["after"] = self.diff["before"]
        if hook["kind"] == HOOK_CSOPS:
            self.result.update(changed=True, dispatcher=HOOK_ABSENT, settings=None,
                               restart_required=hook["executable"])
            self.diff["after"] = ""
            if not self.module.check_mode:
                files.remove(self.path)
        elif hook["kind"] in (HOOK_CLOUDSTACK, HOOK_OTHER):
            self.module.warn("%s is %s, not this collection's dispatcher; it is left in place"
                             % (self.path, "CloudStack's qemu hook" if hook["kind"] == HOOK_CLOUDSTACK
                                else "another hook"))

    def run(self):
        try:
            if self.params["state"] == "present":
                self.present()
            else:
                self.absent()
        except files.HostFileError as error:
            self.fail(str(error))
        if self.module._diff:
            self.result["diff"] = self.diff
        return self.result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            timeout=dict(type="int", default=DEFAULT_TIMEOUT),
            grace_period=dict(type="int", default=DEFAULT_GRACE_PERIOD),
            hooks_dir=dict(type="path", default=DEFAULT_HOOKS_DIR),
            custom_dir=dict(type="path", default=DEFAULT_CUSTOM_DIR),
            log_path=dict(type="path", default=DEFAULT_LOG_PATH),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**HookManager(module).run())


if __name__ == "__main__":
    main()
