# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``systemvm`` backend: start, stop, reboot, migrate or recreate SSVMs and CPVMs.

``SystemVmBackend(client, params, check_mode, diff, deadline).run()`` returns the module's result dict, or raises
a CloudStackError whose ``result`` holds the per-VM report so far (``systemvms``) and ``changed`` when a change
went through before the failure. Every request, the destroy job and the wait for a replacement share the task's
one Deadline, so ``wait_timeout`` bounds the whole task.

Before the first destroy, everything a recreation depends on is checked: the expected version is what a new
system VM reports (the management server's version), and the template CloudStack will create each replacement
from (the newest ready SYSTEM template of the VM's hypervisor in its zone) exists and is the wanted one.
"""

from __future__ import annotations

from .._api.backend import ApiBackend
from .._api import lookup
from .._api.errors import CloudStackError, DeadlineError, NotFoundError, ValidationError, shorten
from .rules import (
    COMMANDS,
    DESTROY,
    MIGRATE,
    REBOOT,
    STOP,
    VERBS,
    SystemVmStateError,
    check_version,
    find_replacement,
    is_current,
    plan_action,
    replacement_template,
    snapshot,
    version_matches,
)


def check_input(params):
    """Raise ValidationError for input that cannot be acted on."""
    if params.get("id") is not None and not lookup.is_uuid(params["id"]):
        raise ValidationError("id must be a UUID, got %s" % shorten(params["id"]))
    if params.get("version") is not None:
        check_version(params["version"])


class SystemVmBackend(ApiBackend):
    def __init__(self, client, params, check_mode, diff, deadline):
        super().__init__(client, params, check_mode, diff, deadline)
        self.state = params["state"]
        self.verb = VERBS[self.state]
        self.results = []

    def what(self):
        params = self.params
        if params.get("name"):
            return "system VM %s" % shorten(params["name"])
        if params.get("id"):
            return "system VM %s" % params["id"]
        zone = " of zone %s" % shorten(params["zone"]) if params.get("zone") else ""
        return "%s system VMs%s" % (params["type"], zone)

    def error(self, reason, subject=None, command=None, **result):
        """A CloudStackError for ``subject`` (default: what the task selected) carrying the report so far."""
        report = dict(systemvms=self.results, **result)
        return CloudStackError("%s %s: %s" % (self.verb, subject or self.what(), reason), command, report)

    # -- selection ----------------------------------------------------------------------------------------

    def select(self):
        params = self.params
        filters = lookup.location_filters(self.client, params, ("zone",), self.deadline)
        for option, key in (("type", "systemvmtype"), ("id", "id"), ("name", "name")):
            if params.get(option):
                filters[key] = params[option]
        vms = lookup.find(self.client, "systemvm", deadline=self.deadline, **filters)
        if params.get("hypervisor"):
            wanted = params["hypervisor"].lower()
            vms = [vm for vm in vms if str(vm.get("hypervisor") or "").lower() == wanted]
        if (params.get("name") or params.get("id")) and not vms:
            raise self.error("not found", command="listSystemVms")
        if params.get("name") and len(vms) > 1:
            raise self.error("%d system VMs have this name, give its id instead" % len(vms))
        return sorted(vms, key=lambda vm: (vm.get("name") or "", vm.get("id") or ""))

    def server_version(self):
        answer = self.client.request("listCapabilities", deadline=self.deadline) or {}
        version = (answer.get("capability") or {}).get("cloudstackversion")
        if not version:
            raise self.error("CloudStack did not tell its version (listCapabilities)", command="listCapabilities")
        return version

    def expected(self, vms):
        """``(version, template or None)`` a recreated VM must have; the template is a listTemplates row, or None
        in check mode when it is not registered yet (an earlier task of the run would register it)."""
        server = self.server_version()
        version = self.params.get("version") or server
        if not version_matches(server, version):
            raise self.error("version %s: a new system VM runs the management server's version %s, so it can "
                             "never match; nothing was destroyed" % (shorten(version), server))
        wanted = self.params.get("template")
        if not wanted:
            return version, None
        hypervisor = self.params.get("hypervisor")
        kinds = {str(vm.get("hypervisor") or "") for vm in vms if vm.get("hypervisor")}
        if not hypervisor and len(kinds) == 1:
            hypervisor = kinds.pop()  # same-named templates of other hypervisors are not this one
        try:
            return version, lookup.get(self.client, "template", wanted, deadline=self.deadline,
                                       hypervisor=hypervisor)
        except NotFoundError:
            if self.check_mode:
                return version, None
            raise

    def check_replacements(self, plan, template):
        """Raise, before anything is destroyed, when CloudStack would recreate a planned VM from no template or
        from another template than the wanted one."""
        seen = {}
        for vm, action in plan:
            if action != DESTROY:
                continue
            key = (vm.get("zoneid"), str(vm.get("hypervisor") or "KVM"))
            if key not in seen:
                rows = lookup.find(self.client, "template", deadline=self.deadline, hypervisor=key[1], zoneid=key[0])
                seen[key] = replacement_template(rows, key[1], key[0])
            chosen = seen[key]
            subject = "system VM %s" % vm.get("name")
            zone = vm.get("zonename") or vm.get("zoneid")
            if chosen is None:
                raise self.error("no %s system VM template is ready in zone %s, so CloudStack could not create a "
                                 "replacement; nothing was destroyed" % (key[1], zone), subject)
            if template is not None and chosen.get("id") != template.get("id"):
                raise self.error("CloudStack would recreate it from %s (the newest ready %s system VM template in "
                                 "zone %s), not from %s; make that template ready first; nothing was destroyed"
                                 % (chosen.get("name"), key[1], zone, template.get("name")), subject)

    # -- changes ------------------------------------------------------------------------------------------

    def submit(self, item, action, params):
        command = COMMANDS[action]
        item["jobid"] = self.client.submit(command, params, self.deadline)["jobid"]
        if not self.params.get("wait", True):
            return None
        return self.client.waiter.job(item["jobid"], command, self.deadline) or {}

    def change(self, item, vm, action, host_id):
        """Run ``action`` on ``vm``; returns the VM after it, or None when not waited for."""
        if action == MIGRATE:
            params = {"virtualmachineid": vm["id"], "hostid": host_id}
        else:
            params = {"id": vm["id"]}
            if action in (STOP, REBOOT) and self.params.get("forced"):
                params["forced"] = True
        answer = self.submit(item, action, params)
        return None if answer is None else answer.get("systemvm")

    def recreate(self, item, vm, known_ids, version, template_id):
        """Destroy ``vm`` and wait until its replacement is current; returns the replacement (None when not
        waited for)."""
        if self.submit(item, DESTROY, {"id": vm["id"]}) is None:
            return None
        scope = {"systemvmtype": vm["systemvmtype"], "zoneid": vm["zoneid"]}
        seen = [None]

        def fetch():
            seen[0] = find_replacement(lookup.find(self.client, "systemvm", deadline=self.deadline, **scope),
                                       known_ids, vm["systemvmtype"], vm["zoneid"])
            return seen[0]

        def done(new):
            return new is not None and is_current(new, version, template_id)

        subject = "system VM %s" % vm.get("name")
        timeout = "wait_timeout (%ss)" % self.deadline.seconds
        try:
            new, finished = self.client.waiter.until(fetch, done, self.deadline)
        except CloudStackError as error:
            if not self.deadline.expired():
                raise
            new, finished = seen[0], False
            if not isinstance(error, DeadlineError):
                timeout += " (the last poll failed: %s)" % error.message
        if finished:
            return new
        item["after"] = snapshot(new)
        jobid = item["jobid"]
        if new is None:
            raise self.error("destroyed (job %s), but CloudStack created no replacement within %s"
                             % (jobid, timeout), subject, jobid=jobid, changed=True)
        if new.get("state") == "Running" and not version_matches(new.get("version"), version):
            reason = "replacement %s runs version %s, expected %s" % (new.get("name"), new.get("version"), version)
        elif new.get("state") == "Running":
            reason = "replacement %s runs template %s, expected %s" % (
                new.get("name"), new.get("templatename") or new.get("templateid"), self.params.get("template"))
        else:
            reason = "destroyed (job %s); replacement %s is still %s after %s" % (
                jobid, new.get("name"), new.get("state"), timeout)
        raise self.error(reason, subject, jobid=jobid, replacement=snapshot(new), changed=True)

    # -- the task -----------------------------------------------------------------------------------------

    def run(self):
        try:
            return self._run()
        except CloudStackError as error:
            if not error.message.startswith(self.verb + " "):
                error.args = ("%s %s: %s" % (self.verb, self.what(), error.message),)
            if self.deadline.expired() and "wait_timeout" not in error.message:
                error.args = ("%s (the wait_timeout of %ss ran out)" % (error.message, self.deadline.seconds),)
            raise

    def _run(self):
        check_input(self.params)
        vms = self.select()
        version = template = host_id = None
        if self.state == "migrated":
            host_id = lookup.resolve_id(self.client, "host", self.params["host"], deadline=self.deadline)
        if self.state == "recreated":
            version, template = self.expected(vms)
        template_id = (template or {}).get("id")
        plan = []
        for vm in vms:
            try:
                plan.append((vm, plan_action(vm, self.state, host_id, version, template_id)))
            except SystemVmStateError as error:
                raise self.error(str(error), "system VM %s" % vm.get("name")) from None
        if self.check_mode and self.params.get("template") and template is None:
            plan = [(vm, DESTROY) for vm, _action in plan]  # the template is not registered yet: all would change
        elif self.state == "recreated":
            self.check_replacements(plan, template)
        destroying = any(action == DESTROY for _vm, action in plan) and not self.check_mode
        known_ids = {vm["id"] for vm in lookup.find(self.client, "systemvm", deadline=self.deadline)} \
            if destroying else set()
        for vm, action in plan:
            item = dict(id=vm["id"], name=vm.get("name"), systemvmtype=vm.get("systemvmtype"),
                        zonename=vm.get("zonename"), action=action, changed=action is not None, jobid=None,
                        before=snapshot(vm), after=snapshot(vm) if action is None else None)
            self.results.append(item)
            if action is None or self.check_mode:
                continue
            try:
                if action == DESTROY:
                    after = self.recreate(item, vm, known_ids, version, template_id)
                    if after is not None:
                        known_ids.add(after["id"])
                else:
                    after = self.change(item, vm, action, host_id)
            except CloudStackError as error:
                prefix = "%s system VM %s: " % (self.verb, vm.get("name"))
                if not error.message.startswith(prefix):
                    error.args = (prefix + error.message,)
                error.result = dict(error.result or {}, systemvms=self.results,
                                    changed=any(r["jobid"] for r in self.results))
                if item["jobid"]:
                    error.result.setdefault("jobid", item["jobid"])
                raise
            item["after"] = snapshot(after)
        result = dict(changed=any(r["changed"] for r in self.results), systemvms=self.results)
        if self.state == "recreated":
            result["expected_version"] = version
        if self.diff:
            result["diff"] = dict(
                before={r["name"]: _diff_view(r["before"]) for r in self.results},
                after={r["name"]: self.diff_after(r, version) for r in self.results},
            )
        return result

    def diff_after(self, item, version):
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
