#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: setting
short_description: Manage CloudStack configuration values (global settings) at any scope
version_added: 0.1.0
description:
  - Sets one or many CloudStack configuration values, globally or for one zone, cluster, account, domain,
    primary storage pool or image store.
  - Values are compared by the setting's type, so C(true) and C("true"), C(10) and C("10"), or a YAML list and
    its comma-separated text are the same value and a second run reports no change.
  - Every setting of the task is looked up and every value is checked before anything is written, so a bad
    name or value fails the task without changing any setting.
  - Reports, per setting, whether the management servers must be restarted for the change to take effect
    (settings CloudStack does not apply dynamically).
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description:
      - Name of one setting, for example C(router.template.kvm).
      - Mutually exclusive with O(settings).
    type: str
  value:
    description:
      - Value for the setting named in O(name). Booleans, numbers and lists are converted to CloudStack's text.
      - An empty string or null sets an empty value.
    type: raw
  settings:
    description:
      - Several settings in one task, as a mapping of name to value, or a list of mappings with C(name) and
        C(value).
      - Mutually exclusive with O(name).
    type: raw
  zone:
    description:
      - Name or id of the zone, to set zone-scoped values.
    type: str
  cluster:
    description:
      - Name or id of the cluster, to set cluster-scoped values.
    type: str
  account_id:
    description:
      - Id of the account, to set account-scoped values.
    type: str
  domain_id:
    description:
      - Id of the domain, to set domain-scoped values.
    type: str
  storage_id:
    description:
      - Id of the primary storage pool, to set storage-scoped values.
    type: str
  image_store_id:
    description:
      - Id of the image store, to set image-store-scoped values.
    type: str
notes:
  - At most one of O(zone), O(cluster), O(account_id), O(domain_id), O(storage_id) and O(image_store_id) may be
    given; without any of them the global value is set.
  - CloudStack applies some settings only when the management server starts; C(restart_required) tells which.
    Notify a handler that restarts the management servers when it is true.
seealso:
  - module: csops.cloudstack.setting_info
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Point new routers at the new system VM template
  csops.cloudstack.setting:
    name: router.template.kvm
    value: systemvm-kvm-4.20.1
  register: router_template
  notify: Restart management servers

- name: Tune router health checks in one task
  csops.cloudstack.setting:
    settings:
      router.health.checks.enable: true
      router.health.checks.basic.interval: 5
      router.health.checks.to.exclude: [dns_check.py, haproxy_check.py]

- name: Zone-scoped value
  csops.cloudstack.setting:
    name: ca.framework.cert.systemvm.allow.host.ip
    value: true
    zone: zone1
"""

RETURN = r"""
settings:
  description: One item per setting of the task, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Setting name.
      type: str
      sample: router.template.kvm
    scope:
      description: Scope the value was read and written at.
      type: str
      sample: global
    before:
      description: Value before the task.
      type: str
      sample: systemvm-kvm-4.19.0
    after:
      description: Value after the task (what it would be, in check mode).
      type: str
      sample: systemvm-kvm-4.20.1
    changed:
      description: Whether this setting changed (or would change).
      type: bool
    isdynamic:
      description: Whether CloudStack applies the setting without a restart.
      type: bool
    restart_required:
      description: Whether a management server restart is needed for this change to take effect.
      type: bool
restart_required:
  description: Whether any setting changed that CloudStack only applies after a management server restart.
  returned: always
  type: bool
diff:
  description: Values before and after, by setting name, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.lookup import resolve_id
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils.settings import (
    SCOPE_PARAMS,
    SettingValueError,
    desired_settings,
    kind_of,
    normalize,
    same_value,
    scopes_of,
)

_SCOPE_OPTIONS = (
    ("zone", "zone"),
    ("cluster", "cluster"),
    ("account_id", "account"),
    ("domain_id", "domain"),
    ("storage_id", "storagepool"),
    ("image_store_id", "imagestore"),
)


class SettingManager:
    def __init__(self, module):
        self.module = module
        self.client = module.client

    def scope(self):
        """``(scope name, {api param: id})`` for the task's scope option, or global."""
        params = self.module.params
        for option, scope in _SCOPE_OPTIONS:
            value = params.get(option)
            if value:
                if scope in ("zone", "cluster"):
                    value = resolve_id(self.client, scope, value)
                return scope, {SCOPE_PARAMS[scope]: value}
        return "global", {}

    def lookup(self, name, scope, scope_params):
        """The listConfigurations item for ``name`` at ``scope``; a clear error when it cannot be set there."""
        items = self.client.list("listConfigurations", dict(scope_params, name=name))
        for item in items:
            if item.get("name") == name:
                return item
        if scope != "global":
            known = [i for i in self.client.list("listConfigurations", {"name": name}) if i.get("name") == name]
            if known:
                accepted = known[0].get("scope")
                raise SettingValueError("it cannot be set per %s%s" % (
                    scope, " (its scope is %s)" % ", ".join(scopes_of(known[0])) if accepted else ""))
        raise SettingValueError("no such setting")

    def plan(self):
        try:
            wanted = desired_settings(self.module.params)
        except SettingValueError as error:
            self.module.fail_json(msg="update settings: %s" % error)
        seen = set()
        for name, _value in wanted:
            if name in seen:
                self.module.fail_json(msg="update setting %s: given more than once" % name)
            seen.add(name)
        scope, scope_params = self.scope()
        plan = []
        for name, value in wanted:
            try:
                current = self.lookup(name, scope, scope_params)
                kind = kind_of(current)
                desired = normalize(value, kind, name="value")
            except SettingValueError as error:
                self.module.fail_json(msg="update setting %s: %s" % (name, error))
            before = current.get("value") or ""
            plan.append(dict(
                name=name,
                scope=scope,
                before=before,
                desired=desired,
                changed=not same_value(before, desired, kind),
                isdynamic=bool(current.get("isdynamic", False)),
            ))
        return plan, scope_params

    def apply(self):
        plan, scope_params = self.plan()
        results = []
        for item in plan:
            after = item["before"]
            if item["changed"]:
                after = item["desired"]
                if not self.module.check_mode:
                    try:
                        updated = self.client.request(
                            "updateConfiguration", dict(scope_params, name=item["name"], value=item["desired"]))
                    except CloudStackError as error:
                        done = [r["name"] for r in results if r["changed"]]
                        self.module.fail_error(error, prefix="update setting %s" % item["name"],
                                               settings=results, updated=done)
                    updated = (updated or {}).get("configuration") or {}
                    after = updated.get("value", item["desired"]) or ""
            results.append(dict(
                name=item["name"],
                scope=item["scope"],
                before=item["before"],
                after=after,
                changed=item["changed"],
                isdynamic=item["isdynamic"],
                restart_required=item["changed"] and not item["isdynamic"],
            ))
        result = dict(
            changed=any(r["changed"] for r in results),
            settings=results,
            restart_required=any(r["restart_required"] for r in results),
        )
        if self.module._diff:
            result["diff"] = dict(
                before={r["name"]: r["before"] for r in results},
                after={r["name"]: r["after"] for r in results},
            )
        return result


def main():
    argument_spec = dict(
        name=dict(type="str"),
        value=dict(type="raw"),
        settings=dict(type="raw"),
        zone=dict(type="str"),
        cluster=dict(type="str"),
        account_id=dict(type="str"),
        domain_id=dict(type="str"),
        storage_id=dict(type="str"),
        image_store_id=dict(type="str"),
    )
    module = CloudStackModule(
        argument_spec=argument_spec,
        mutually_exclusive=[
            ("name", "settings"),
            ("zone", "cluster", "account_id", "domain_id", "storage_id", "image_store_id"),
        ],
        required_one_of=[("name", "settings")],
        supports_check_mode=True,
    )
    settings = module.params["settings"]
    if settings is not None and (not isinstance(settings, (dict, list)) or not settings):
        module.fail_json(msg="update settings: settings must be a non-empty mapping of name to value or list of "
                             "mappings")
    module.run(lambda m: SettingManager(m).apply())


if __name__ == "__main__":
    main()
