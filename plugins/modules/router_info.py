#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: router_info
short_description: List CloudStack virtual routers
version_added: 0.1.0
description:
  - Lists virtual routers of every account, with their template version, whether they require an upgrade, their
    health check state and link-local addresses, across all pages of the API's answer.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
  - csops.cloudstack.attributes.INFO_MODULE
options:
  name:
    description: Only the router with this name, for example C(r-10-VM).
    type: str
  id:
    description: Only the router with this id.
    type: str
  zone:
    description: Only routers in this zone (name or id).
    type: str
  pod:
    description: Only routers in this pod (name or id).
    type: str
  cluster:
    description: Only routers in this cluster (name or id).
    type: str
  host:
    description: Only routers running on this host (name or id).
    type: str
  state:
    description: Only routers in this state, for example C(Running).
    type: str
  account:
    description: Only routers of this account. Give O(domain_id) too when the name is not unique.
    type: str
  domain_id:
    description: Only routers of this domain.
    type: str
  network_id:
    description: Only routers of this guest network.
    type: str
  vpc_id:
    description: Only routers of this VPC.
    type: str
  version:
    description: Only routers whose template version is this one.
    type: str
  requires_upgrade:
    description: Only routers that require (V(true)) or do not require (V(false)) an upgrade.
    type: bool
  health_checks_failed:
    description: Only routers whose health checks failed (V(true)) or passed (V(false)).
    type: bool
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Routers that still run an old template
  csops.cloudstack.router_info:
    requires_upgrade: true
  register: old_routers
"""

RETURN = r"""
routers:
  description: The routers, sorted by name. Every item has all the keys below; a key CloudStack did not return is null.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Router id.", type: str}
    name: {description: "Router name.", type: str, sample: r-10-VM}
    state: {description: "VM state.", type: str, sample: Running}
    version: {description: "Template version of the router.", type: str, sample: 4.19.0}
    requiresupgrade: {description: "Whether the router runs an older template than the management server needs.", type: bool}
    role: {description: "Router role.", type: str, sample: VIRTUAL_ROUTER}
    isredundantrouter: {description: "Whether the router is one of a redundant pair.", type: bool}
    redundantstate: {description: "Redundant state (PRIMARY, BACKUP, UNKNOWN).", type: str}
    healthchecksfailed: {description: "Whether any health check of the router failed.", type: bool}
    hostid: {description: "Id of the host running the router.", type: str}
    hostname: {description: "Name of the host running the router.", type: str}
    hypervisor: {description: "Hypervisor type.", type: str}
    zoneid: {description: "Zone id.", type: str}
    zonename: {description: "Zone name.", type: str}
    podid: {description: "Pod id.", type: str}
    podname: {description: "Pod name.", type: str}
    linklocalip: {description: "Link-local (control) address, reachable from the host on port 3922.", type: str}
    publicip: {description: "Public address.", type: str}
    guestipaddress: {description: "Guest network address.", type: str}
    guestnetworkid: {description: "Guest network id.", type: str}
    guestnetworkname: {description: "Guest network name.", type: str}
    vpcid: {description: "VPC id.", type: str}
    vpcname: {description: "VPC name.", type: str}
    account: {description: "Owning account.", type: str}
    domain: {description: "Owning domain.", type: str}
    domainid: {description: "Owning domain id.", type: str}
    templateid: {description: "Template id.", type: str}
    templatename: {description: "Template name.", type: str}
    scriptsversion: {description: "Version of the scripts in the router.", type: str}
    softwareversion: {description: "Software version.", type: str}
    created: {description: "Creation date.", type: str}
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.args import location_spec
from ansible_collections.csops.cloudstack.plugins.module_utils._api.info import list_projected
from ansible_collections.csops.cloudstack.plugins.module_utils._api.lookup import location_filters
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule

ROUTER_KEYS = (
    "id", "name", "state", "version", "requiresupgrade", "role", "isredundantrouter", "redundantstate",
    "healthchecksfailed", "hostid", "hostname", "hypervisor", "zoneid", "zonename", "podid", "podname",
    "linklocalip", "publicip", "guestipaddress", "guestnetworkid", "guestnetworkname", "vpcid", "vpcname",
    "account", "domain", "domainid", "templateid", "templatename", "scriptsversion", "softwareversion", "created",
)


def list_routers(module):
    params = module.params
    filters = location_filters(module.client, params, ("zone", "pod", "cluster", "host"))
    filters.update(
        name=params["name"],
        id=params["id"],
        state=params["state"],
        account=params["account"],
        domainid=params["domain_id"],
        networkid=params["network_id"],
        vpcid=params["vpc_id"],
        version=params["version"],
        healthchecksfailed=params["health_checks_failed"],
        listall=True,
    )
    routers = list_projected(module.client, "router", filters, ROUTER_KEYS)
    if params["requires_upgrade"] is not None:
        routers = [r for r in routers if bool(r.get("requiresupgrade")) == params["requires_upgrade"]]
    return dict(changed=False, routers=routers)


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            **location_spec("zone", "pod", "cluster", "host"),
            state=dict(type="str"),
            account=dict(type="str"),
            domain_id=dict(type="str"),
            network_id=dict(type="str"),
            vpc_id=dict(type="str"),
            version=dict(type="str"),
            requires_upgrade=dict(type="bool"),
            health_checks_failed=dict(type="bool"),
        ),
        selectors=("name", "id", "zone", "pod", "cluster", "host", "state", "account", "domain_id", "network_id",
                   "vpc_id", "version"),
        uuids=("id", "domain_id", "network_id", "vpc_id"),
        supports_check_mode=True,
    )
    module.run(list_routers)


if __name__ == "__main__":
    main()
