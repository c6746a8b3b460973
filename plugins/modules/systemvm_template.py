#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: systemvm_template
short_description: Register a CloudStack system VM template, wait until it is ready, and select it for routers
version_added: 0.1.0
description:
  - Ensures a system VM template is registered for one hypervisor, in the given zones or in all zones, and
    waits until CloudStack reports it ready in every one of them, with the download progress in the result.
  - The template is known by its O(name) and O(hypervisor). When it is already registered with the same O(url)
    and O(checksum) nothing is registered again; a template of that name with another url or checksum is an
    error, so a new template always gets a new name.
  - A failed download fails the task with CloudStack's status text, for example the HTTP error of the image
    server or a checksum mismatch.
  - With O(set_router_template=true) the setting C(router.template.<hypervisor>) is pointed at the template once
    it is ready, globally and in each of its zones, and the result says whether a management server restart is
    needed.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.wait
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
    details: Reports whether the template would be registered and which settings would change; nothing is
      registered, written or waited for.
  diff_mode:
    support: full
options:
  name:
    description:
      - Name of the template, for example C(systemvm-kvm-4.20.1). An empty name is an error.
    type: str
    required: true
  url:
    description:
      - URL CloudStack downloads the template from, C(http://) or C(https://) with a host name or address.
      - A URL without a host (C(http:///x), C(http://)) is an error, refused before anything is sent.
    type: str
    required: true
  checksum:
    description:
      - Checksum of the image, hex digits optionally prefixed by the algorithm, for example C({SHA-512}1a2b...).
        CloudStack uses MD5 for a bare digest.
      - When given, an already registered template must have the same checksum.
      - An empty value is an error; leave the option out when there is no checksum.
    type: str
  hypervisor:
    description:
      - Hypervisor the template is for. Any spelling of C(KVM), C(XenServer), C(VMware), C(Hyperv), C(LXC) or
        C(Ovm3) is accepted.
    type: str
    required: true
  format:
    description:
      - Image format. Defaults to the format of the system VM template for the hypervisor, C(QCOW2) for KVM and
        LXC, C(VHD) for XenServer and Hyper-V, C(OVA) for VMware, C(RAW) for Ovm3.
    type: str
    choices: [QCOW2, RAW, VHD, VHDX, OVA]
  display_text:
    description:
      - Display text of the template. Defaults to O(name).
    type: str
  zones:
    description:
      - Names or ids of the zones the template is registered in.
      - When not given the template is registered for all zones (a cross-zone template), and it must be ready
        in every zone of the cloud.
      - An empty list, or an empty item, is an error (never "all zones").
    type: list
    elements: str
  os_type_id:
    description:
      - Id of the template's OS type.
      - Defaults to the OS type of an already registered system VM template of the same hypervisor, if any.
    type: str
  template_type:
    description:
      - How the template is marked as a system VM template.
      - V(system) registers it with C(templatetype=SYSTEM) (CloudStack 4.19 and later).
      - V(routing) registers it with C(isrouting=true), the way of releases before 4.19.
    type: str
    choices: [system, routing]
    default: system
  set_router_template:
    description:
      - Point C(router.template.<hypervisor>) at this template once it is ready, at global scope and in every
        zone of the template (a zone value overrides the global one, and CloudStack reads the zone value when it
        creates a router there).
      - Fails, without changing any setting, when the template is not ready.
      - Needs O(wait=true); O(wait=false) with O(set_router_template=true) is refused before anything is sent.
    type: bool
    default: false
notes:
  - Downloads can take a long time; raise O(wait_timeout) for large images or slow links. O(wait_timeout) bounds
    the whole task, every request included. A timeout fails the task with the progress of every zone; the
    download goes on in CloudStack and a later run waits for it.
  - A template whose download failed stays registered with its error status; delete it in CloudStack or register
    the image under a new name.
  - Restart the management servers after changing C(router.template.*) when C(restart_required) is true, then
    recreate the system VMs and upgrade the routers; the playbook C(csops.cloudstack.upgrade_systemvms) does all
    of it (see C(docs/systemvm-upgrade.md) in the collection).
seealso:
  - module: csops.cloudstack.setting
  - module: csops.cloudstack.systemvm
  - module: csops.cloudstack.router_upgrade
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Register the 4.20.1 KVM system VM template in all zones and select it for new routers
  csops.cloudstack.systemvm_template:
    name: systemvm-kvm-4.20.1
    url: https://download.cloudstack.org/systemvm/4.20/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2
    checksum: "{SHA-512}0a1b2c3d..."
    hypervisor: kvm
    set_router_template: true
    wait_timeout: 3600
  register: kvm_template

- name: Register only, in two zones, without waiting
  csops.cloudstack.systemvm_template:
    name: systemvm-vmware-4.20.1
    url: https://download.cloudstack.org/systemvm/4.20/systemvmtemplate-4.20.1-x86_64-vmware.ova
    hypervisor: VMware
    zones: [zone1, zone2]
    wait: false
"""

RETURN = r"""
template:
  description: The template, or null in check mode when it would be registered.
  returned: always
  type: dict
  contains:
    id: {description: "Template id.", type: str}
    name: {description: "Template name.", type: str}
    hypervisor: {description: "Hypervisor.", type: str, sample: KVM}
    format: {description: "Image format.", type: str, sample: QCOW2}
    url: {description: "Download URL.", type: str}
    checksum: {description: "Checksum as CloudStack stores it.", type: str}
    templatetype: {description: "C(SYSTEM) or C(ROUTING).", type: str}
    crosszones: {description: "Whether the template is registered for all zones.", type: bool}
    ready: {description: "Whether the template is ready in every wanted zone.", type: bool}
download:
  description: Download state per wanted zone, as last seen.
  returned: always
  type: list
  elements: dict
  contains:
    zoneid: {description: "Zone id.", type: str}
    zonename: {description: "Zone name.", type: str}
    state: {description: "C(ready), C(pending), C(failed) or C(missing) (no download in this zone yet).", type: str}
    status: {description: "CloudStack's status text.", type: str, sample: Download Complete}
    percent: {description: "Download progress in percent, when CloudStack tells it.", type: int}
progress:
  description:
    - The download status of each zone while waiting, with the seconds since the wait began, each time the state
      changed or the progress moved by 10 points or more.
  returned: always
  type: list
  elements: dict
  sample: [{seconds: 0.0, zone: zone1, status: 10% Downloaded}, {seconds: 4.2, zone: zone1, status: Download Complete}]
waited:
  description: Seconds spent waiting for the download.
  returned: always
  type: float
settings:
  description: The C(router.template.<hypervisor>) values, per scope, when O(set_router_template=true).
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "Setting name.", type: str, sample: router.template.kvm}
    scope: {description: "C(global) or C(zone).", type: str}
    zone: {description: "Zone name, for zone scope.", type: str}
    before: {description: "Value before.", type: str}
    after: {description: "Value after (what it would be, in check mode).", type: str}
    changed: {description: "Whether this value changed.", type: bool}
    restart_required: {description: "Whether the change needs a management server restart.", type: bool}
restart_required:
  description: Whether a changed setting takes effect only after a management server restart.
  returned: always
  type: bool
diff:
  description: The template and the settings before and after, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._template.backend import TemplateBackend


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            url=dict(type="str", required=True),
            checksum=dict(type="str"),
            hypervisor=dict(type="str", required=True),
            format=dict(type="str", choices=["QCOW2", "RAW", "VHD", "VHDX", "OVA"]),
            display_text=dict(type="str"),
            zones=dict(type="list", elements="str"),
            os_type_id=dict(type="str"),
            template_type=dict(type="str", choices=["system", "routing"], default="system"),
            set_router_template=dict(type="bool", default=False),
        ),
        with_wait=True,
        selectors=("name", "url", "hypervisor", "checksum", "zones", "display_text", "os_type_id"),
        uuids=("os_type_id",),
        supports_check_mode=True,
    )
    module.run_backend(TemplateBackend)


if __name__ == "__main__":
    main()
