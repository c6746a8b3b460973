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
      - Without O(names), O(keyword) or O(category), every setting is returned.
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

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.info import location_filters
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils.settings import SCOPE_PARAMS, kind_of, same_value

_ID_SCOPES = (("account_id", "account"), ("domain_id", "domain"), ("storage_id", "storagepool"),
              ("image_store_id", "imagestore"))


def describe(item):
    value = item.get("value") or ""
    return dict(
        name=item.get("name"),
        value=value,
        defaultvalue=item.get("defaultvalue"),
        is_default=same_value(value, item.get("defaultvalue") or "", kind_of(item)),
        type=item.get("type"),
        scope=item.get("scope"),
        isdynamic=bool(item.get("isdynamic", False)),
        category=item.get("category"),
        description=item.get("description"),
    )


def read_settings(module):
    params = module.params
    scope = location_filters(module.client, params, ("zone", "cluster"))
    for option, name in _ID_SCOPES:
        if params[option]:
            scope[SCOPE_PARAMS[name]] = params[option]
    base = dict(scope, category=params["category"])
    if params["names"]:
        found = {}
        for name in params["names"]:
            matches = [i for i in module.client.list("listConfigurations", dict(base, name=name))
                       if i.get("name") == name]
            if not matches:
                raise CloudStackError("read setting %s: no such setting%s"
                                      % (name, " at this scope" if scope else ""), "listConfigurations")
            found[name] = matches[0]
        items = list(found.values())
    else:
        items = module.client.list("listConfigurations", dict(base, keyword=params["keyword"]))
        if params["keyword"]:
            items = [i for i in items if params["keyword"] in (i.get("name") or "")]
    return dict(changed=False, settings=sorted((describe(i) for i in items), key=lambda s: s["name"] or ""))


def main():
    module = CloudStackModule(
        argument_spec=dict(
            names=dict(type="list", elements="str"),
            keyword=dict(type="str", no_log=False),
            category=dict(type="str"),
            zone=dict(type="str"),
            cluster=dict(type="str"),
            account_id=dict(type="str"),
            domain_id=dict(type="str"),
            storage_id=dict(type="str"),
            image_store_id=dict(type="str"),
        ),
        mutually_exclusive=[("names", "keyword"),
                            ("zone", "cluster", "account_id", "domain_id", "storage_id", "image_store_id")],
        supports_check_mode=True,
    )
    module.run(read_settings)


if __name__ == "__main__":
    main()
