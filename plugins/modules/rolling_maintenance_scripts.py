#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rolling_maintenance_scripts
short_description: Install the KVM rolling maintenance stage scripts and point the CloudStack agent at them
version_added: 0.3.0
description:
  - Puts the stage scripts that CloudStack's C(startRollingMaintenance) runs on a KVM host into the hooks
    directory, and sets C(rolling.maintenance.hooks.dir) (and, with O(executor),
    C(rolling.maintenance.service.executor.disabled)) in the agent's C(agent.properties), keeping every other
    line of that file.
  - For a stage the agent runs the first regular file among C(<hooks_dir>/<stage>), C(<stage>.sh) and
    C(<stage>.py). So that the script installed is the one that runs, the module removes the other two
    variants of every stage it installs, and reports them in RV(scripts[].removed). RV(active) names the file
    the agent would run for each stage after the task.
  - Stages are C(PreFlight) (on every host of a cluster before any maintenance), C(PreMaintenance) (before the
    host goes into maintenance), C(Maintenance) (while it is in maintenance) and C(PostMaintenance) (after it
    left maintenance). CloudStack skips a host that has no C(Maintenance) script. A script that exits with 70 in
    PreFlight or PreMaintenance asks CloudStack to skip that host; any other code but 0 is a failure.
  - With the default service executor a script gets the C(payload) of C(startRollingMaintenance) cut at its
    first comma and split into words as arguments, it runs under C(timeout <seconds>), and only its standard
    output is kept (at most 65,536 characters). With the agent executor the payload is one argument.
  - Files are written atomically (temporary file and rename). The agent reads C(agent.properties) only when it
    starts; RV(restart_required) says when C(cloudstack-agent) must be restarted.
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.host
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  hooks_dir:
    description:
      - The agent's rolling maintenance hooks directory, written to C(rolling.maintenance.hooks.dir). An absolute
        path without commas or single quotes. CloudStack has no default for it; this module's default is the
        directory CloudStack's documentation uses. It is created (mode 0755) when a script is installed into it.
      - With the service executor, the systemd unit names the agent makes from this path, the script and its
        results and output files must stay within 255 characters; a longer directory is refused, and
        RV(unit_name_headroom) tells how many characters are left for a payload.
    type: path
    default: /etc/cloudstack/agent/hooks.d
  scripts:
    description:
      - The stages to manage. Stages not listed are left as they are.
    type: list
    elements: dict
    default: []
    suboptions:
      stage:
        description:
          - The stage, exactly as the agent looks it up (case-sensitive) - V(PreFlight), V(PreMaintenance),
            V(Maintenance) or V(PostMaintenance). Each stage at most once.
        type: str
        required: true
      state:
        description:
          - V(present) installs the script; V(absent) removes every file the agent would take for the stage.
        type: str
        choices: [present, absent]
        default: present
      content:
        description:
          - The script's text. It must start with a C(#!) line (or be an ELF binary). Mutually exclusive with
            O(scripts[].src); one of them is required with O(scripts[].state=present).
        type: str
      src:
        description:
          - Absolute path of a file on the managed host to install as the script.
        type: path
      extension:
        description:
          - The file name's extension, V(none) for C(<stage>), V(.sh) or V(.py).
        type: str
        choices: [none, .sh, .py]
        default: none
  executor:
    description:
      - Which executor the agent uses. V(service) (CloudStack's default) runs each stage as a systemd unit and
        survives an agent restart; V(agent) runs it inside the agent. Sets
        C(rolling.maintenance.service.executor.disabled) to V(false) or V(true). Left as it is when not given.
    type: str
    choices: [service, agent]
  agent_properties:
    description:
      - The agent's properties file. An absolute path.
    type: path
    default: /etc/cloudstack/agent/agent.properties
  mode:
    description:
      - Mode of the script files, as an octal string.
    type: raw
    default: '0755'
notes:
  - Every input is checked before anything is written; a bad one fails the task with one line naming the
    option. CloudStack's own restrictions on the payload (commas, quotes) are the caller's of
    C(startRollingMaintenance), see M(csops.cloudstack.rolling_maintenance).
seealso:
  - module: csops.cloudstack.agent_properties
  - module: csops.cloudstack.rolling_maintenance
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Stage scripts for rolling maintenance
  csops.cloudstack.rolling_maintenance_scripts:
    scripts:
      - stage: PreFlight
        extension: .sh
        content: |
          #!/bin/sh
          # exit 70 asks CloudStack to leave this host alone
          test -e /etc/no-maintenance && exit 70
          exit 0
      - stage: Maintenance
        extension: .sh
        src: /usr/local/lib/maintenance/patch-and-reboot.sh
      - stage: PostMaintenance
        state: absent
  register: stage_scripts

- name: Restart the agent when agent.properties changed
  ansible.builtin.service:
    name: cloudstack-agent
    state: restarted
  when: stage_scripts.restart_required
"""

RETURN = r"""
hooks_dir:
  description: The hooks directory.
  returned: always
  type: str
  sample: /etc/cloudstack/agent/hooks.d
scripts:
  description: One item per stage in O(scripts), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    stage:
      description: The stage.
      type: str
      sample: Maintenance
    state:
      description: >-
        V(created), V(updated) or V(unchanged) for the installed file; V(removed) or V(absent) for
        O(scripts[].state=absent). What would happen, in check mode.
      type: str
      sample: created
    path:
      description: The installed file, or null for O(scripts[].state=absent).
      type: str
      sample: /etc/cloudstack/agent/hooks.d/Maintenance.sh
    removed:
      description: Other files of the stage that were (or would be) removed.
      type: list
      elements: str
      sample: [/etc/cloudstack/agent/hooks.d/Maintenance]
active:
  description: For each of the four stages, the file the agent runs after the task, or null when the stage has none.
  returned: success
  type: dict
  sample: {PreFlight: /etc/cloudstack/agent/hooks.d/PreFlight.sh, PreMaintenance: null,
           Maintenance: /etc/cloudstack/agent/hooks.d/Maintenance.sh, PostMaintenance: null}
agent_properties:
  description: The properties file and the keys whose lines were (or would be) added or rewritten.
  returned: always
  type: dict
  sample: {path: /etc/cloudstack/agent/agent.properties, changed_keys: [rolling.maintenance.hooks.dir]}
restart_required:
  description: Whether agent.properties changed, so the agent must restart to use it.
  returned: always
  type: bool
unit_name_headroom:
  description: >-
    With the service executor, characters left under systemd's 255-character unit name limit for the longest
    stage unit (with a 4-digit timeout); a payload needs its escaped length plus 4. Null with the agent executor
    or when no stage script is installed.
  returned: success
  type: int
  sample: 8
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._rolling_scripts.backend import manage_scripts
from ansible_collections.csops.cloudstack.plugins.module_utils._rolling_scripts.rules import scripts_shape_error


def main():
    spec = dict(
        hooks_dir=dict(type="path", default="/etc/cloudstack/agent/hooks.d"),
        scripts=dict(type="list", elements="dict", default=[], options=dict(
            stage=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            content=dict(type="str"),
            src=dict(type="path"),
            extension=dict(type="str", choices=["none", ".sh", ".py"], default="none"),
        )),
        executor=dict(type="str", choices=["service", "agent"]),
        agent_properties=dict(type="path", default="/etc/cloudstack/agent/agent.properties"),
        mode=dict(type="raw", default="0755"),
    )
    module = HostModule(argument_spec=spec, owner=True, shapes={"scripts": scripts_shape_error})
    module.run(manage_scripts)


if __name__ == "__main__":
    main()
