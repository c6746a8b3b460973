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
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description:
      - The script's name without the action prefix; it sets the order among the scripts of an event.
      - Must not contain C(/) or line breaks.
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
      - The script's text. It should start with a C(#!) line.
      - Mutually exclusive with O(src); one of them is required with O(state=present).
    type: str
  src:
    description:
      - Path of a file on the managed host to install as the script.
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
      - Owner of the script files.
    type: str
    default: root
  group:
    description:
      - Group of the script files.
    type: str
    default: root
  custom_dir:
    description:
      - Directory of the custom scripts; created (mode 0755) when missing. CloudStack's hook always uses
        C(/etc/libvirt/hooks/custom).
    type: path
    default: /etc/libvirt/hooks/custom
notes:
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

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.csops.cloudstack.plugins.module_utils._host import files
from ansible_collections.csops.cloudstack.plugins.module_utils.libvirt_hook import (
    DEFAULT_CUSTOM_DIR,
    HookInputError,
    candidate_names,
    check_name,
    file_names,
    normalize_actions,
    parse_mode,
)

DIR_MODE = 0o755


class ScriptManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = module.params["name"]

    def fail(self, reason):
        verb = "install" if self.params["state"] == "present" else "remove"
        self.module.fail_json(msg="%s hook script %s: %s" % (verb, self.name, reason))

    def validate(self):
        params = self.params
        try:
            check_name(self.name)
            actions = normalize_actions(params["actions"])
            mode = parse_mode(params["mode"])
            uid = files.resolve_user(params["owner"])
            gid = files.resolve_group(params["group"])
        except (HookInputError, files.HostFileError) as error:
            self.fail(str(error))
        content = None
        if params["state"] == "present":
            if params["content"] is not None:
                content = params["content"].encode("utf-8", "surrogateescape")
            else:
                attrs = files.file_attrs(params["src"])
                if attrs is None or not attrs["is_file"]:
                    self.fail("src %s is not a file on the host" % params["src"])
                content = files.read_bytes(params["src"])
            if not content.startswith(b"#!") and not content.startswith(b"\x7fELF"):
                self.module.warn("hook script %s has no #! line; the hook cannot run it directly" % self.name)
            if not mode & 0o100:
                self.module.warn("hook script %s is installed without execute permission (mode %04o); the hook "
                                 "will skip it and log a warning on each event" % (self.name, mode))
        return actions, mode, uid, gid, content

    def run(self):
        actions, mode, uid, gid, content = self.validate()
        custom_dir = self.params["custom_dir"]
        present = self.params["state"] == "present"
        wanted = set(file_names(self.name, actions)) if present else set()
        result = {"changed": False, "files": [], "actions": list(actions)}
        diffs = []
        try:
            if present:
                created_dir = files.ensure_dir(custom_dir, DIR_MODE, 0, 0, self.module.check_mode)
                if created_dir:
                    result["changed"] = True
            for filename in candidate_names(self.name):
                path = os.path.join(custom_dir, filename)
                attrs = files.file_attrs(path)
                before = files.read_bytes(path) if attrs and attrs["is_file"] else None
                if filename in wanted:
                    if not files.needs_write(path, content, mode, uid, gid):
                        state = "unchanged"
                    else:
                        if attrs is not None and not attrs["is_file"] and not attrs["is_link"]:
                            self.fail("%s exists and is not a regular file" % path)
                        state = "updated" if attrs else "created"
                        if not self.module.check_mode:
                            files.write_atomic(path, content, mode, uid, gid)
                    after = content
                elif attrs is not None:
                    if attrs["is_dir"] and not attrs["is_link"]:
                        self.module.warn("%s is a directory; it is left alone" % path)
                        continue
                    state = "removed"
                    after = None
                    if not self.module.check_mode:
                        files.remove(path)
                else:
                    continue
                if state != "unchanged":
                    result["changed"] = True
                    diffs.append(self.file_diff(path, attrs, before, after, mode, uid, gid))
                result["files"].append({"path": path, "action": filename.split("_", 1)[0], "state": state})
        except files.HostFileError as error:
            self.fail(str(error))
        result["paths"] = sorted(os.path.join(custom_dir, f) for f in wanted)
        if self.module._diff:
            result["diff"] = diffs
        return result

    @staticmethod
    def file_diff(path, attrs, before, after, mode, uid, gid):
        def show(data, file_mode, owner):
            if data is None:
                return ""
            if b"\0" in data:
                text = "(binary, %d bytes)\n" % len(data)
            else:
                text = files.text_of(data)
            return "# mode %04o owner %d:%d\n%s" % (file_mode, owner[0], owner[1], text)

        before_text = show(before, attrs["mode"], (attrs["uid"], attrs["gid"])) if attrs else ""
        after_text = show(after, mode, (uid, gid)) if after is not None else ""
        return {"before_header": path, "after_header": path, "before": before_text, "after": after_text}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            actions=dict(type="list", elements="str", default=["all"]),
            content=dict(type="str"),
            src=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            mode=dict(type="raw", default="0755"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            custom_dir=dict(type="path", default=DEFAULT_CUSTOM_DIR),
        ),
        mutually_exclusive=[("content", "src")],
        required_if=[("state", "present", ("content", "src"), True)],
        supports_check_mode=True,
    )
    module.exit_json(**ScriptManager(module).run())


if __name__ == "__main__":
    main()
