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
options:
  hooks_dir:
    description:
      - libvirt's hook directory; the hook is C(<hooks_dir>/qemu).
    type: path
    default: /etc/libvirt/hooks
  custom_dir:
    description:
      - Directory of the custom scripts.
      - By default the directory the installed hook reads (this collection's dispatcher records it; CloudStack's
        hook always uses C(/etc/libvirt/hooks/custom)), else C(/etc/libvirt/hooks/custom).
    type: path
notes:
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.csops.cloudstack.plugins.module_utils._host import files
from ansible_collections.csops.cloudstack.plugins.module_utils._host.qemu_hook import (
    inspect_hook,
    scan_custom_dir,
)
from ansible_collections.csops.cloudstack.plugins.module_utils.libvirt_hook import (
    DEFAULT_CUSTOM_DIR,
    DEFAULT_HOOKS_DIR,
    HOOK_ABSENT,
    HOOK_CLOUDSTACK,
    HOOK_OTHER,
    actions_of,
    execution_plan,
)


def run(module):
    hook = inspect_hook(module.params["hooks_dir"])
    settings = hook["settings"]
    hook_dir = settings.get("custom_dir") if settings else None
    custom_dir = module.params["custom_dir"] or hook_dir or DEFAULT_CUSTOM_DIR
    if hook_dir and module.params["custom_dir"] and module.params["custom_dir"] != hook_dir:
        module.warn("the installed hook runs the scripts in %s, not in %s" % (hook_dir, custom_dir))
    if hook["kind"] == HOOK_ABSENT:
        module.warn("no qemu hook is installed at %s: libvirt runs none of these scripts" % hook["path"])
    elif hook["kind"] == HOOK_OTHER:
        module.warn("%s is neither this collection's dispatcher nor CloudStack's hook: the plan shows what "
                    "those would run" % hook["path"])
    elif not hook["executable"]:
        module.warn("%s is not executable: libvirt does not run it" % hook["path"])

    entries = scan_custom_dir(custom_dir)
    outcome = execution_plan(entries or [])
    by_name = {e["name"]: e for e in entries or []}
    for item in outcome["ignored"] + outcome["notices"]:
        item["path"] = by_name[item["name"]]["path"]
        module.warn(item["message"])
    if hook["kind"] == HOOK_CLOUDSTACK:
        for item in outcome["ignored"]:
            if item["reason"] == "not_a_file" and by_name[item["name"]]["executable"]:
                item["message"] += " (CloudStack's hook tries to run it and logs the error)"
    scripts = []
    for entry in entries or []:
        runs_for = [a for a in actions_of(entry["name"]) if entry["name"] in outcome["plan"][a]]
        if runs_for:
            scripts.append({"name": entry["name"], "path": entry["path"], "actions": runs_for,
                            "mode": entry["mode"]})
    return {
        "changed": False,
        "dispatcher": {"path": hook["path"], "kind": hook["kind"], "executable": hook["executable"],
                       "settings": settings},
        "custom_dir": {"path": custom_dir, "exists": entries is not None},
        "plan": outcome["plan"],
        "scripts": scripts,
        "ignored": outcome["ignored"],
        "notices": outcome["notices"],
        "files": entries or [],
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hooks_dir=dict(type="path", default=DEFAULT_HOOKS_DIR),
            custom_dir=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except files.HostFileError as error:
        module.fail_json(msg="read qemu hook plan: %s" % error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
