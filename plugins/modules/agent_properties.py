#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: agent_properties
short_description: Set or remove keys of the CloudStack agent's agent.properties on a KVM host
version_added: 0.2.0
description:
  - Declarative edits of C(/etc/cloudstack/agent/agent.properties). Keys in O(properties) and
    O(secret_properties) end up with exactly that value; keys in O(absent) end up with no line. Every other line,
    comment, blank line and the order of the file stay as they are.
  - A key already set to its value keeps its line. A key with another value gets its line rewritten as
    C(key=value); later duplicate lines of that key (the agent would read the last one) are removed. A new key
    is appended at the end of the file.
  - The file is written atomically (temporary file and rename) and keeps its mode; a new file gets mode 0600.
  - Values of C(keystore.passphrase) and of every key in O(secret_properties) are masked in the diff and never
    appear in the result or a message.
  - The agent reads agent.properties only when it starts; restart C(cloudstack-agent) for a change to apply.
extends_documentation_fragment:
  - csops.cloudstack.attributes
  - csops.cloudstack.host
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  path:
    description:
      - The agent's properties file. An absolute path.
    type: path
    default: /etc/cloudstack/agent/agent.properties
  properties:
    description:
      - Keys and the values they must have. Values are written as given (strings, numbers, or booleans as
        V(true)/V(false)); they must not hold line breaks or start or end with blanks.
      - Key names are letters, digits and C(. _ - / @).
      - C(keystore.passphrase) must be given in O(secret_properties).
    type: dict
    default: {}
  secret_properties:
    description:
      - Like O(properties), for values that must never be shown (passphrases, passwords). Masked in the diff.
    type: dict
    default: {}
  absent:
    description:
      - Keys that must have no line in the file.
    type: list
    elements: str
    default: []
  mode:
    description:
      - Mode of the file, as an octal string. By default an existing file keeps its mode and a new one gets
        V(0600).
    type: raw
  owner:
    description:
      - Owner of the file.
  group:
    description:
      - Group of the file.
notes:
  - Every input is checked before anything is written; a bad one fails the task with one line naming the
    option. With nothing to set and no file, nothing is created.
seealso:
  - module: csops.cloudstack.agent_keystore
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Point the agent at its rolling maintenance hooks
  csops.cloudstack.agent_properties:
    properties:
      rolling.maintenance.hooks.dir: /etc/cloudstack/agent/hooks.d
      rolling.maintenance.service.executor.disabled: false
  register: agent_props

- name: Restart the agent when its settings changed
  ansible.builtin.service:
    name: cloudstack-agent
    state: restarted
  when: agent_props.changed

- name: Remove a key and set a secret
  csops.cloudstack.agent_properties:
    absent: [agent.health.check.script.path]
    secret_properties:
      keystore.passphrase: "{{ vault_keystore_passphrase }}"
"""

RETURN = r"""
path:
  description: The properties file.
  returned: always
  type: str
  sample: /etc/cloudstack/agent/agent.properties
changed_keys:
  description: Keys whose lines were (or, in check mode, would be) added, rewritten or removed, in file order.
  returned: always
  type: list
  elements: str
  sample: [rolling.maintenance.hooks.dir]
exists:
  description: Whether the file exists after the task (or would, in check mode).
  returned: always
  type: bool
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule
from ansible_collections.csops.cloudstack.plugins.module_utils._agent.backend import manage_properties


def main():
    module = HostModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/cloudstack/agent/agent.properties"),
            properties=dict(type="dict", default={}),
            secret_properties=dict(type="dict", default={}, no_log=True),
            absent=dict(type="list", elements="str", default=[]),
            mode=dict(type="raw"),
        ),
        owner=True,
    )
    module.run(manage_properties)


if __name__ == "__main__":
    main()
