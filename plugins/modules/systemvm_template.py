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
      - Name of the template, for example C(systemvm-kvm-4.20.1).
    type: str
    required: true
  url:
    description:
      - URL CloudStack downloads the template from.
    type: str
    required: true
  checksum:
    description:
      - Checksum of the image, hex digits optionally prefixed by the algorithm, for example C({SHA-512}1a2b...).
        CloudStack uses MD5 for a bare digest.
      - When given, an already registered template must have the same checksum.
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
      - Fails, without changing any setting, when the template is not ready (for example with O(wait=false)).
    type: bool
    default: false
notes:
  - Downloads can take a long time; raise O(wait_timeout) for large images or slow links. A timeout fails the
    task with the progress of every zone; the download goes on in CloudStack and a later run waits for it.
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

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.lookup import resolve_id
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils.polling import Deadline, poll
from ansible_collections.csops.cloudstack.plugins.module_utils.scoped_settings import apply_values, plan_values
from ansible_collections.csops.cloudstack.plugins.module_utils.templates import (
    DEFAULT_FORMATS,
    FAILED,
    HYPERVISOR_NAMES,
    MISSING,
    READY,
    ROUTER_TEMPLATE_SETTINGS,
    TemplateSpecError,
    canonical_checksum,
    describe,
    failure_text,
    hypervisor_key,
    mismatches,
    overall,
    zone_progress,
)

_SYSTEM_TYPES = ("SYSTEM", "ROUTING")


class TemplateManager:
    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.params = module.params
        self.name = self.params["name"]
        self.history = []
        self.waited = 0.0

    def fail(self, reason, **extra):
        self.module.fail_json(msg="register template %s: %s" % (self.name, reason), **extra)

    # -- input --------------------------------------------------------------------------------------------

    def validate(self):
        try:
            self.hv = hypervisor_key(self.params["hypervisor"])
            canonical_checksum(self.params["checksum"])
        except TemplateSpecError as error:
            self.fail(str(error))
        self.hv_name = HYPERVISOR_NAMES[self.hv]
        self.format = self.params["format"] or DEFAULT_FORMATS[self.hv]
        if not str(self.params["url"]).strip().lower().startswith(("http://", "https://")):
            self.fail("url must be an http:// or https:// URL, got %r" % self.params["url"])
        zones = self.params["zones"]
        if zones is not None and not [z for z in zones if z]:
            self.fail("zones must name at least one zone (leave it out for all zones)")

    def wanted_zones(self):
        """``[(zone id, zone name)]`` the template must be ready in."""
        if self.params["zones"]:
            ids = []
            for zone in self.params["zones"]:
                zone_id = resolve_id(self.client, "zone", zone)
                if zone_id not in [z[0] for z in ids]:
                    ids.append((zone_id, zone))
            names = {z["id"]: z["name"] for z in self.client.list("listZones", {})}
            return [(zone_id, names.get(zone_id, given)) for zone_id, given in ids]
        return [(z["id"], z["name"]) for z in sorted(self.client.list("listZones", {}), key=lambda z: z["name"])]

    # -- CloudStack side ----------------------------------------------------------------------------------

    def rows(self, template_id=None):
        params = {"templatefilter": "all", "hypervisor": self.hv_name}
        if template_id:
            params["id"] = template_id
        else:
            params["name"] = self.name
        return [r for r in self.client.list("listTemplates", params)
                if r.get("name") == self.name and str(r.get("hypervisor", "")).lower() == self.hv]

    def existing(self):
        rows = self.rows()
        ids = sorted({r["id"] for r in rows})
        if len(ids) > 1:
            self.fail("%d templates for %s have this name (%s); remove the extras or use another name"
                      % (len(ids), self.hv_name, ", ".join(ids)))
        if not rows:
            return None
        first = rows[0]
        kind = str(first.get("templatetype") or "").upper()
        if kind and kind not in _SYSTEM_TYPES:
            self.fail("a %s template of this name exists (id %s); a system VM template needs its own name"
                      % (kind, first["id"]))
        differ = mismatches(first, self.params["url"], self.params["checksum"])
        if differ:
            self.fail("already registered (id %s) with another %s; register the new image under a new name"
                      % (first["id"], " and ".join(differ)))
        return rows

    def os_type_id(self):
        if self.params["os_type_id"]:
            return self.params["os_type_id"]
        for template_type in _SYSTEM_TYPES:
            for row in self.client.list("listTemplates", {"templatefilter": "all", "hypervisor": self.hv_name,
                                                          "templatetype": template_type}):
                if row.get("ostypeid"):
                    return row["ostypeid"]
        return None

    def register(self, zones):
        params = dict(
            name=self.name,
            displaytext=self.params["display_text"] or self.name,
            url=self.params["url"],
            hypervisor=self.hv_name,
            format=self.format,
            checksum=self.params["checksum"],
            ostypeid=self.os_type_id(),
        )
        if self.params["template_type"] == "system":
            params["templatetype"] = "SYSTEM"
        else:
            params["isrouting"] = True
        if self.params["zones"]:
            params["zoneids"] = [z[0] for z in zones]
        else:
            params["zoneid"] = "-1"
        answer = self.client.request("registerTemplate", params) or {}
        rows = answer.get("template") or []
        if not rows or not rows[0].get("id"):
            self.fail("registerTemplate returned no template")
        return rows[0]["id"], rows

    def wait_ready(self, template_id, zones):
        names = dict(zones)
        zone_ids = [z[0] for z in zones]
        deadline = Deadline(self.params["wait_timeout"])
        last = {}

        def fetch():
            progress = zone_progress(self.rows(template_id), zone_ids, names)
            for item in progress:
                status = item["status"] or item["state"]
                # every change of state, and of progress by at least 10 points, so a long download stays short
                step = (item["state"], status if item["percent"] is None else item["percent"] // 10)
                if last.get(item["zoneid"]) != step:
                    last[item["zoneid"]] = step
                    self.history.append(dict(seconds=deadline.elapsed(), zone=item["zonename"], status=status))
            return progress

        def done(progress):
            return overall(progress) in (READY, FAILED)

        progress, _finished = poll(fetch, done, deadline)
        self.waited = deadline.elapsed()
        return progress

    # -- the task ------------------------------------------------------------------------------------------

    def ensure(self):
        self.validate()
        check = self.module.check_mode
        zones = self.zones = self.wanted_zones()
        if not zones:
            self.fail("the cloud has no zone")
        rows = self.existing()
        registered = changed = rows is None
        if registered:
            if check:
                settings = self.router_template(zones, {}) if self.params["set_router_template"] else []
                return self.result(True, None, True, [], settings)
            template_id, rows = self.register(zones)
        else:
            template_id = rows[0]["id"]
        crosszones = bool(rows[0].get("crossZones")) if rows else not self.params["zones"]
        progress = zone_progress(self.rows(template_id), [z[0] for z in zones], dict(zones))
        if not crosszones and [p for p in progress if p["state"] == MISSING] and not changed:
            missing = ", ".join(p["zonename"] for p in progress if p["state"] == MISSING)
            self.fail("already registered (id %s) but not in %s; copy it there in CloudStack or use a new name"
                      % (template_id, missing))
        if self.params["wait"] and not check and overall(progress) != READY:
            progress = self.wait_ready(template_id, zones)
        state = overall(progress)
        first = rows[0] if rows else {}
        template = dict(
            id=template_id,
            name=self.name,
            hypervisor=first.get("hypervisor", self.hv_name),
            format=first.get("format", self.format),
            url=first.get("url", self.params["url"]),
            checksum=first.get("checksum", self.params["checksum"]),
            templatetype=first.get("templatetype"),
            crosszones=crosszones,
            ready=state == READY,
        )
        extra = dict(changed=changed, template=template, download=progress, progress=self.history,
                     waited=self.waited)
        if state == FAILED:
            self.fail("download failed: %s" % failure_text(progress), **extra)
        if self.params["wait"] and not check and state != READY:
            self.fail("not ready after %ss (%s); the download goes on in CloudStack"
                      % (self.params["wait_timeout"], describe(progress)), **extra)
        settings = []
        if self.params["set_router_template"]:
            if state != READY and not check:
                self.fail("not ready (%s); %s left unchanged"
                          % (describe(progress), ROUTER_TEMPLATE_SETTINGS[self.hv]), **extra)
            settings = self.router_template(zones, extra)
        changed = changed or any(s["changed"] for s in settings)
        return self.result(changed, template, registered, progress, settings)

    def router_template(self, zones, extra):
        name = ROUTER_TEMPLATE_SETTINGS[self.hv]
        try:
            plan = plan_values(self.client, name, self.name, zones)
        except KeyError:
            self.fail("setting %s does not exist in this CloudStack" % name, **extra)
        try:
            return apply_values(self.client, plan, self.module.check_mode)
        except CloudStackError as error:
            self.module.fail_error(error, prefix="update setting %s" % name, **extra)

    def result(self, changed, template, registered, progress, settings):
        result = dict(
            changed=changed,
            template=template,
            download=progress,
            progress=self.history,
            waited=self.waited,
            settings=settings,
            restart_required=any(s["restart_required"] for s in settings),
        )
        if self.module._diff:
            wanted = dict(name=self.name, hypervisor=self.hv_name, url=self.params["url"],
                          checksum=self.params["checksum"], zones=[z[1] for z in self.zones])
            before = dict(template=None if registered else wanted)
            after = dict(template=wanted)
            if settings:
                before["settings"] = {_setting_key(s): s["before"] for s in settings}
                after["settings"] = {_setting_key(s): s["after"] for s in settings}
            result["diff"] = dict(before=before, after=after)
        return result


def _setting_key(item):
    return item["name"] if item["scope"] == "global" else "%s@%s" % (item["name"], item["zone"])


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
        supports_check_mode=True,
    )
    module.run(lambda m: TemplateManager(m).ensure())


if __name__ == "__main__":
    main()
