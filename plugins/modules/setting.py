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
      - Required with O(name). Leaving it out (also through C(default(omit))) or giving C(null) is an error, so
        a missing variable never empties a setting. To empty a setting, give the empty string C("").
      - Compared the way CloudStack stores it, which trims surrounding spaces and line breaks and stores the
        word C(null) as the empty value.
      - CloudStack refuses an empty boolean, an empty number at a non-global scope, and a value outside a select
        setting's options; so does this module, before anything is written. Numbers must be finite (no C(nan),
        no C(inf)) and whole numbers fit in 64 bits; list items must be single scalars; a value holds at most
        4095 characters.
      - CloudStack has no API to reset a setting to its default; give the default value explicitly.
    type: raw
  settings:
    description:
      - Several settings in one task, as a mapping of name to value, or a list of mappings with C(name) and
        C(value).
      - Every item needs a value, as O(value) does; a name may appear once.
      - Mutually exclusive with O(name) and O(value).
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
    given; without any of them the global value is set. An empty scope option is an error, never the global
    value.
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

- name: Empty a value explicitly (leaving value out is an error)
  csops.cloudstack.setting:
    name: consoleproxy.url.domain
    value: ""
"""

RETURN = r"""
settings:
  description: >-
    One item per setting of the task, in the order given. When a write fails, the settings handled before it
    (and C(changed) is true if any of them was written).
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
    zone:
      description: >-
        The object of a non-global scope, under the scope's name (C(zone), C(cluster), C(account), C(domain),
        C(storagepool) or C(imagestore)): the zone or cluster name, or the id given.
      type: str
      returned: at a non-global scope
      sample: zone1
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
  returned: always, also when the task fails after some settings were written
  type: bool
diff:
  description: Values before and after, by setting name, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._settings.backend import SettingTask
from ansible_collections.csops.cloudstack.plugins.module_utils._settings.rules import SCOPE_OPTIONS

SCOPE_SPEC = dict((option, dict(type="str")) for option, _kind in SCOPE_OPTIONS)


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            value=dict(type="raw"),
            settings=dict(type="raw"),
            **SCOPE_SPEC
        ),
        selectors=tuple(SCOPE_SPEC),
        mutually_exclusive=[("name", "settings"), ("value", "settings"), tuple(SCOPE_SPEC)],
        required_one_of=[("name", "settings")],
        supports_check_mode=True,
    )
    module.run_backend(SettingTask)


if __name__ == "__main__":
    main()
