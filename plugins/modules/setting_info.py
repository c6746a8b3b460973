#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: setting_info
short_description: Read CloudStack configuration values (global settings)
version_added: 0.1.0
description:
  - Reads CloudStack settings, globally or at one zone, cluster, account, domain, storage pool or image store,
    with their defaults, types and whether CloudStack applies them without a management server restart.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
  - csops.cloudstack.attributes.INFO_MODULE
options:
  names:
    description:
      - Exact names of the settings to read. A name CloudStack does not know fails the task.
      - Without O(names), O(keyword) or O(category), every setting is returned. An empty list, or an empty name
        in it, is an error, never "every setting"; so is an empty O(keyword) or O(category) or scope option.
    type: list
    elements: str
  keyword:
    description: Only settings whose name contains this text.
    type: str
  category:
    description: Only settings of this category, for example C(Advanced) or C(Network).
    type: str
  zone:
    description: Read values at this zone's scope (name or id).
    type: str
  cluster:
    description: Read values at this cluster's scope (name or id).
    type: str
  account_id:
    description: Read values at this account's scope.
    type: str
  domain_id:
    description: Read values at this domain's scope.
    type: str
  storage_id:
    description: Read values at this primary storage pool's scope.
    type: str
  image_store_id:
    description: Read values at this image store's scope.
    type: str
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Router template settings
  csops.cloudstack.setting_info:
    keyword: router.template
  register: templates

- name: Non-dynamic settings that differ from their default
  ansible.builtin.debug:
    msg: "{{ all_settings.settings | rejectattr('isdynamic') | rejectattr('is_default') | map(attribute='name') }}"
"""

RETURN = r"""
settings:
  description: The settings, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "Setting name.", type: str}
    value: {description: "Current value at the scope read (empty string when unset).", type: str}
    defaultvalue: {description: "CloudStack's default value.", type: str}
    is_default: {description: "Whether the value equals the default, compared by type.", type: bool}
    type: {description: "Value type as CloudStack reports it (null on releases that do not).", type: str}
    scope: {description: "Scope(s) the setting can be set at.", type: str}
    isdynamic: {description: "Whether CloudStack applies a change without a management server restart.", type: bool}
    category: {description: "Category.", type: str}
    description: {description: "CloudStack's description.", type: str}
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._settings.backend import read_settings
from ansible_collections.csops.cloudstack.plugins.module_utils._settings.rules import SCOPE_OPTIONS

SCOPE_SPEC = dict((option, dict(type="str")) for option, _kind in SCOPE_OPTIONS)


def main():
    module = CloudStackModule(
        argument_spec=dict(
            names=dict(type="list", elements="str"),
            keyword=dict(type="str", no_log=False),
            category=dict(type="str"),
            **SCOPE_SPEC
        ),
        selectors=("names", "keyword", "category") + tuple(SCOPE_SPEC),
        mutually_exclusive=[("names", "keyword"), tuple(SCOPE_SPEC)],
        supports_check_mode=True,
    )
    module.run(lambda m: read_settings(m.client, m.params))


if __name__ == "__main__":
    main()
