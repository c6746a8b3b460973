#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: systemvm
short_description: Start, stop, restart, recreate or migrate CloudStack system VMs (SSVM, CPVM)
version_added: 0.1.0
description:
  - Manages the secondary storage VMs and console proxy VMs selected by name, by id, or by type (and zone).
  - V(started) and V(stopped) start or stop the VMs that are not in that state yet.
  - V(restarted) reboots running VMs and starts stopped ones; it always reports a change.
  - V(recreated) destroys each VM that does not run the expected version (and template, if given), and waits
    until CloudStack has created its replacement and the replacement is C(Running) with the expected version.
    VMs are recreated one at a time, so a zone with several console proxies keeps serving. A VM that already
    runs the expected version is left alone, so a second run changes nothing.
  - V(migrated) moves running VMs to O(host) (live migration); VMs already there are left alone.
  - Every change goes through CloudStack's asynchronous jobs, waited for unless O(wait=false).
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.wait
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
    details: Reports which VMs would change and how; nothing is started, stopped, destroyed or migrated.
  diff_mode:
    support: full
options:
  name:
    description: Name of one system VM, for example C(s-1-VM).
    type: str
  id:
    description: Id of one system VM.
    type: str
  type:
    description:
      - Every system VM of this type (in O(zone), when given).
      - With O(name) or O(id), the VM must be of this type.
    type: str
    choices: [consoleproxy, secondarystoragevm]
  zone:
    description: Only system VMs of this zone (name or id).
    type: str
  hypervisor:
    description:
      - Only system VMs running on this hypervisor type, for example C(KVM). Useful with O(template) in clouds
        with several hypervisors, where each has its own system VM template.
    type: str
  state:
    description: What to do, see the description.
    type: str
    required: true
    choices: [started, stopped, restarted, recreated, migrated]
  host:
    description:
      - Hypervisor host (name or id) to migrate to. Required with O(state=migrated).
    type: str
  version:
    description:
      - Version the VMs must run after O(state=recreated), for example C(4.20.1.0) or C(4.20). C(4.20) matches
        any 4.20.x.
      - Defaults to the management server's version (C(cloudstackversion) of listCapabilities), which is what a
        system VM reports once it runs the current system VM template.
    type: str
  template:
    description:
      - Name or id of the template the VMs must run after O(state=recreated). A VM running another template is
        recreated even if its version matches.
      - In check mode a template that does not exist yet is not an error (an earlier task of the same run would
        register it); every selected VM is then reported as to be recreated.
    type: str
  forced:
    description: Force the stop (O(state=stopped)) or reboot (O(state=restarted)).
    type: bool
    default: false
notes:
  - CloudStack creates the replacement of a destroyed SSVM or CPVM by itself, from the newest ready system VM
    template of the zone's hypervisor; O(wait_timeout) bounds the destroy and the wait for the replacement.
  - After a template upgrade, restart the management servers before recreating the system VMs.
seealso:
  - module: csops.cloudstack.systemvm_info
  - module: csops.cloudstack.systemvm_template
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Recreate the secondary storage VM and console proxy of every zone on the new template
  csops.cloudstack.systemvm:
    type: "{{ item }}"
    state: recreated
    wait_timeout: 1800
  loop: [secondarystoragevm, consoleproxy]

- name: Move the console proxy off kvm1
  csops.cloudstack.systemvm:
    name: v-2-VM
    state: migrated
    host: kvm2

- name: Stop the SSVM of zone1
  csops.cloudstack.systemvm:
    type: secondarystoragevm
    zone: zone1
    state: stopped
"""

RETURN = r"""
systemvms:
  description: One item per selected system VM, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Id of the selected VM.", type: str}
    name: {description: "Name of the selected VM.", type: str, sample: s-1-VM}
    systemvmtype: {description: "C(secondarystoragevm) or C(consoleproxy).", type: str}
    zonename: {description: "Zone name.", type: str}
    action: {description: "C(start), C(stop), C(reboot), C(destroy), C(migrate), or null when nothing was needed.", type: str}
    changed: {description: "Whether this VM changed (or would change).", type: bool}
    jobid: {description: "Id of the job that did it.", type: str}
    before:
      description: The VM before (id, name, state, version, hostname, templatename).
      type: dict
    after:
      description: >-
        The VM after, as CloudStack reports it (for V(recreated), the replacement VM); null in check mode when it
        would change, and when not waited for.
      type: dict
expected_version:
  description: The version VMs must run, with O(state=recreated).
  returned: when state is recreated
  type: str
  sample: 4.20.1.0
diff:
  description: State, version and host of each VM before and after, by name, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError, JobTimeoutError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.lookup import is_uuid, resolve_id
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils.polling import Deadline, poll
from ansible_collections.csops.cloudstack.plugins.module_utils.systemvms import (
    COMMANDS,
    DESTROY,
    MIGRATE,
    REBOOT,
    STOP,
    VERBS,
    SystemVmStateError,
    find_replacement,
    is_current,
    plan_action,
    snapshot,
    version_matches,
)


class SystemVmManager:
    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.params = module.params
        self.state = self.params["state"]
        self.verb = VERBS[self.state]

    def what(self):
        params = self.params
        if params["name"]:
            return "system VM %s" % params["name"]
        if params["id"]:
            return "system VM %s" % params["id"]
        return "%s system VMs%s" % (params["type"], " of zone %s" % params["zone"] if params["zone"] else "")

    def fail(self, reason, subject=None, **extra):
        self.module.fail_json(msg="%s %s: %s" % (self.verb, subject or self.what(), reason), **extra)

    # -- selection ----------------------------------------------------------------------------------------

    def select(self):
        params = self.params
        filters = {}
        if params["zone"]:
            filters["zoneid"] = resolve_id(self.client, "zone", params["zone"])
        if params["type"]:
            filters["systemvmtype"] = params["type"]
        if params["id"]:
            if not is_uuid(params["id"]):
                self.fail("id must be a UUID, got %r" % params["id"])
            filters["id"] = params["id"]
        if params["name"]:
            filters["name"] = params["name"]
        vms = self.client.list("listSystemVms", filters)
        if params["name"]:
            vms = [vm for vm in vms if vm.get("name") == params["name"]]
        if params["hypervisor"]:
            vms = [vm for vm in vms if str(vm.get("hypervisor") or "").lower() == params["hypervisor"].lower()]
        if (params["name"] or params["id"]) and not vms:
            self.fail("not found")
        if params["name"] and len(vms) > 1:
            self.fail("%d system VMs have this name, give its id instead" % len(vms))
        return sorted(vms, key=lambda vm: (vm.get("name") or "", vm.get("id") or ""))

    def expected(self):
        """``(version, template id)`` a recreated VM must have."""
        version = self.params["version"]
        if not version:
            answer = self.client.request("listCapabilities") or {}
            version = (answer.get("capability") or {}).get("cloudstackversion")
            if not version:
                self.fail("CloudStack did not tell its version (listCapabilities); give the version option")
        template_id = None
        template = self.params["template"]
        if template:
            if is_uuid(template):
                template_id = template
            else:
                ids = {r["id"] for r in self.client.list("listTemplates", {"templatefilter": "all", "name": template})
                       if r.get("name") == template}
                if not ids and self.module.check_mode:
                    # not registered yet (an earlier task would register it): every VM would be recreated
                    return version, "(template %s, not registered yet)" % template
                if not ids:
                    self.fail("template %s: not found" % template)
                if len(ids) > 1:
                    self.fail("template %s: %d templates have this name, give its id instead" % (template, len(ids)))
                template_id = ids.pop()
        return version, template_id

    # -- changes ------------------------------------------------------------------------------------------

    def change(self, vm, action, deadline, host_id):
        """Run ``action`` on ``vm``; returns ``(jobid, VM after or None)``."""
        command = COMMANDS[action]
        if action == MIGRATE:
            params = {"virtualmachineid": vm["id"], "hostid": host_id}
        else:
            params = {"id": vm["id"]}
            if action in (STOP, REBOOT) and self.params["forced"]:
                params["forced"] = True
        jobid = self.client.submit(command, params)["jobid"]
        if not self.params["wait"]:
            return jobid, None
        answer = self.client.wait(jobid, command, max(deadline.remaining(), 0.001))
        return jobid, answer.get("systemvm")

    def recreate(self, vm, known_ids, deadline, version, template_id):
        jobid = self.client.submit(COMMANDS[DESTROY], {"id": vm["id"]})["jobid"]
        if not self.params["wait"]:
            return jobid, None
        self.client.wait(jobid, COMMANDS[DESTROY], max(deadline.remaining(), 0.001))
        scope = {"systemvmtype": vm["systemvmtype"], "zoneid": vm["zoneid"]}

        def fetch():
            return find_replacement(self.client.list("listSystemVms", scope), known_ids, vm["systemvmtype"],
                                    vm["zoneid"])

        def done(new):
            return new is not None and is_current(new, version, template_id)

        new, finished = poll(fetch, done, deadline)
        if finished:
            return jobid, new
        subject = "system VM %s" % vm["name"]
        if new is None:
            self.fail("destroyed, but CloudStack created no replacement within %ss" % self.params["wait_timeout"],
                      subject, jobid=jobid)
        if new.get("state") == "Running" and not version_matches(new.get("version"), version):
            reason = "replacement %s runs version %s, expected %s" % (new.get("name"), new.get("version"), version)
        elif new.get("state") == "Running":
            reason = "replacement %s runs template %s, expected %s" % (
                new.get("name"), new.get("templatename") or new.get("templateid"), self.params["template"])
        else:
            reason = "replacement %s is still %s after %ss" % (
                new.get("name"), new.get("state"), self.params["wait_timeout"])
        self.fail(reason, subject, jobid=jobid, replacement=snapshot(new))

    # -- the task -----------------------------------------------------------------------------------------

    def ensure(self):
        params = self.params
        vms = self.select()
        version = template_id = host_id = None
        if self.state == "recreated":
            version, template_id = self.expected()
        if self.state == "migrated":
            host_id = resolve_id(self.client, "host", params["host"])
        plan = []
        for vm in vms:
            try:
                plan.append((vm, plan_action(vm, self.state, host_id, version, template_id)))
            except SystemVmStateError as error:
                self.fail(str(error), "system VM %s" % vm.get("name"))
        deadline = Deadline(params["wait_timeout"])
        known_ids = {vm["id"] for vm in self.client.list("listSystemVms", {})} if any(
            a == DESTROY for _vm, a in plan) and not self.module.check_mode else set()
        results = []
        for vm, action in plan:
            item = dict(id=vm["id"], name=vm.get("name"), systemvmtype=vm.get("systemvmtype"),
                        zonename=vm.get("zonename"), action=action, changed=action is not None, jobid=None,
                        before=snapshot(vm), after=snapshot(vm) if action is None else None)
            results.append(item)
            if action is None or self.module.check_mode:
                continue
            try:
                if action == DESTROY:
                    item["jobid"], after = self.recreate(vm, known_ids, deadline, version, template_id)
                    if after is not None:
                        known_ids.add(after["id"])
                else:
                    item["jobid"], after = self.change(vm, action, deadline, host_id)
            except JobTimeoutError as error:
                self.fail("%s job %s did not finish within wait_timeout (%ss); it may still be running in CloudStack"
                          % (error.command, error.jobid, params["wait_timeout"]), "system VM %s" % vm.get("name"),
                          jobid=error.jobid, systemvms=results)
            except CloudStackError as error:
                self.module.fail_error(error, prefix="%s system VM %s" % (self.verb, vm.get("name")),
                                       systemvms=results)
            item["after"] = snapshot(after)
        result = dict(changed=any(r["changed"] for r in results), systemvms=results)
        if self.state == "recreated":
            result["expected_version"] = version
        if self.module._diff:
            result["diff"] = dict(
                before={r["name"]: _diff_view(r["before"]) for r in results},
                after={r["name"]: self.diff_after(r, host_id, version) for r in results},
            )
        return result

    def diff_after(self, item, host_id, version):
        if item["after"] is not None:
            view = _diff_view(item["after"])
            if item["action"] == DESTROY:
                view["replaced_by"] = item["after"]["name"]
            return view
        if item["action"] is None:
            return _diff_view(item["before"])
        predicted = dict(_diff_view(item["before"]))
        predicted["state"] = "Stopped" if item["action"] == STOP else "Running"
        if item["action"] == DESTROY:
            predicted.update(version=version, replaced_by="(new VM)")
        if item["action"] == MIGRATE:
            predicted["hostname"] = self.params["host"]
        return predicted


def _diff_view(vm):
    return dict(state=vm.get("state"), version=vm.get("version"), hostname=vm.get("hostname"))


def main():
    module = CloudStackModule(
        argument_spec=dict(
            name=dict(type="str"),
            id=dict(type="str"),
            type=dict(type="str", choices=["consoleproxy", "secondarystoragevm"]),
            zone=dict(type="str"),
            hypervisor=dict(type="str"),
            state=dict(type="str", required=True,
                       choices=["started", "stopped", "restarted", "recreated", "migrated"]),
            host=dict(type="str"),
            version=dict(type="str"),
            template=dict(type="str"),
            forced=dict(type="bool", default=False),
        ),
        with_wait=True,
        mutually_exclusive=[("name", "id")],
        required_one_of=[("name", "id", "type")],
        required_if=[("state", "migrated", ["host"])],
        supports_check_mode=True,
    )
    module.run(lambda m: SystemVmManager(m).ensure())


if __name__ == "__main__":
    main()
