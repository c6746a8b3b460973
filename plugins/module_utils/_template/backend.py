# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``systemvm_template`` backend: register a system VM template, wait until it is ready in every wanted zone,
and point ``router.template.<hypervisor>`` at it.

``TemplateBackend(client, params, check_mode, diff, deadline).run()`` returns the module's result dict, or raises
a CloudStackError whose ``result`` holds what was done and seen so far. Every request is bounded by the task's
Deadline, so ``wait_timeout`` bounds the whole task.
"""

from __future__ import annotations

from .._api.backend import ApiBackend
from .._api import lookup
from .._api.errors import CloudStackError, DeadlineError, ValidationError
from .._settings.writer import GLOBAL, apply, plan, zone_scopes
from .rules import (
    DEFAULT_FORMATS,
    FAILED,
    HYPERVISOR_NAMES,
    MISSING,
    READY,
    ROUTER_TEMPLATE_SETTINGS,
    canonical_checksum,
    check_url,
    describe,
    failure_text,
    hypervisor_key,
    is_ready,
    is_settled,
    mismatches,
    overall,
    zone_progress,
)

_SYSTEM_TYPES = ("SYSTEM", "ROUTING")


def check_input(params):
    """Raise ValidationError for input that cannot be acted on; returns the hypervisor key (``kvm``...)."""
    hv = hypervisor_key(params["hypervisor"])
    canonical_checksum(params.get("checksum"))
    check_url(params["url"])
    if params.get("set_router_template") and not params.get("wait", True):
        raise ValidationError("set_router_template=true needs wait=true: the setting may only name a ready "
                              "template")
    return hv


class TemplateBackend(ApiBackend):
    def __init__(self, client, params, check_mode, diff, deadline):
        super().__init__(client, params, check_mode, diff, deadline)
        self.name = params["name"]
        self.history = []
        self.waited = 0.0
        self.zones = []

    def error(self, reason, result=None, command=None):
        return CloudStackError("register template %s: %s" % (self.name, reason), command, result)

    # -- CloudStack side ----------------------------------------------------------------------------------

    def wanted_zones(self):
        """``[(zone id, zone name)]`` the template must be ready in, in the order given (else by name)."""
        if self.params.get("zones"):
            zones = []
            for given in self.params["zones"]:
                zone = lookup.get(self.client, "zone", given, deadline=self.deadline)
                if zone["id"] not in [z[0] for z in zones]:
                    zones.append((zone["id"], zone.get("name") or given))
            return zones
        found = lookup.find(self.client, "zone", deadline=self.deadline)
        return [(z["id"], z.get("name")) for z in sorted(found, key=lambda z: z.get("name") or "")]

    def rows(self, template_id=None):
        """listTemplates rows (one per zone) of this template: by id, or by exact name and hypervisor."""
        filters = {"id": template_id} if template_id else {"name": self.name}
        return lookup.find(self.client, "template", deadline=self.deadline, hypervisor=self.hv_name, **filters)

    def existing(self):
        """The rows of the template already registered under this name for this hypervisor, or None."""
        rows = self.rows()
        ids = sorted({r["id"] for r in rows})
        if len(ids) > 1:
            raise self.error("%d templates for %s have this name (%s); remove the extras or use another name"
                             % (len(ids), self.hv_name, ", ".join(ids)), command="listTemplates")
        if not rows:
            return None
        first = rows[0]
        kind = str(first.get("templatetype") or "").upper()
        if kind and kind not in _SYSTEM_TYPES:
            raise self.error("a %s template of this name exists (id %s); a system VM template needs its own name"
                             % (kind, first["id"]))
        differ = mismatches(first, self.params["url"], self.params.get("checksum"))
        if differ:
            raise self.error("already registered (id %s) with another %s; register the new image under a new name"
                             % (first["id"], " and ".join(differ)))
        return rows

    def os_type_id(self):
        if self.params.get("os_type_id"):
            return self.params["os_type_id"]
        for template_type in _SYSTEM_TYPES:
            for row in lookup.find(self.client, "template", deadline=self.deadline, hypervisor=self.hv_name,
                                   templatetype=template_type):
                if row.get("ostypeid"):
                    return row["ostypeid"]
        return None

    def register(self):
        params = dict(
            name=self.name,
            displaytext=self.params.get("display_text") or self.name,
            url=self.params["url"],
            hypervisor=self.hv_name,
            format=self.format,
            checksum=self.params.get("checksum"),
            ostypeid=self.os_type_id(),
        )
        if self.params.get("template_type", "system") == "system":
            params["templatetype"] = "SYSTEM"
        else:
            params["isrouting"] = True
        if self.params.get("zones"):
            params["zoneids"] = [z[0] for z in self.zones]
        else:
            params["zoneid"] = "-1"
        answer = self.client.request("registerTemplate", params, deadline=self.deadline) or {}
        rows = answer.get("template") or []
        if not rows or not rows[0].get("id"):
            raise self.error("registerTemplate returned no template", {"changed": True}, "registerTemplate")
        return rows[0]["id"], rows

    def progress(self, template_id):
        return zone_progress(self.rows(template_id), [z[0] for z in self.zones], dict(self.zones))

    def wait_ready(self, template_id, registered, so_far):
        """The download progress once every zone is ready or one failed, or when the deadline ran out."""
        last = {}
        seen = []
        started = self.deadline.elapsed()

        def fetch():
            progress = self.progress(template_id)
            seen[:] = [progress]
            for item in progress:
                status = item["status"] or item["state"]
                # every change of state, and of progress by at least 10 points, so a long download stays short
                step = (item["state"], status if item["percent"] is None else item["percent"] // 10)
                if last.get(item["zoneid"]) != step:
                    last[item["zoneid"]] = step
                    self.history.append(dict(seconds=round(self.deadline.elapsed() - started, 1),
                                             zone=item["zonename"], status=status))
            return progress

        try:
            progress, _finished = self.client.waiter.until(fetch, is_settled, self.deadline)
        except CloudStackError as error:
            # a poll that failed, or got no answer before the deadline: report what was seen until then
            self.waited = round(self.deadline.elapsed() - started, 1)
            progress = seen[0] if seen else so_far
            result = dict(self.report(template_id, progress), changed=registered)
            if not self.deadline.expired():
                error.result = result
                raise
            detail = describe(progress)
            if not isinstance(error, DeadlineError):
                detail += "; the last poll failed: %s" % error.message
            raise self.not_ready(detail, result) from None
        self.waited = round(self.deadline.elapsed() - started, 1)
        return progress

    def not_ready(self, detail, result):
        return self.error("not ready within wait_timeout (%ss): %s; the download goes on in CloudStack"
                          % (self.deadline.seconds, detail), result)

    # -- the task ------------------------------------------------------------------------------------------

    def run(self):
        try:
            return self._run()
        except CloudStackError as error:
            prefix = "register template %s: " % self.name
            if not error.message.startswith(prefix):
                error.args = (prefix + error.message,)
            if self.deadline.expired() and "wait_timeout" not in error.message:
                error.args = ("%s (the wait_timeout of %ss ran out)" % (error.message, self.deadline.seconds),)
            raise

    def _run(self):
        self.hv = check_input(self.params)
        self.hv_name = HYPERVISOR_NAMES[self.hv]
        self.format = self.params.get("format") or DEFAULT_FORMATS[self.hv]
        self.zones = self.wanted_zones()
        if not self.zones:
            raise self.error("the cloud has no zone")
        rows = self.existing()
        if self.params.get("set_router_template"):
            self.plan_router_template()  # a setting that cannot be written fails the task before registering
        registered = rows is None
        if registered:
            if self.check_mode:
                settings = self.router_template({}) if self.params.get("set_router_template") else []
                return self.result(True, None, True, [], settings)
            template_id, rows = self.register()
        else:
            template_id = rows[0]["id"]
        self.crosszones = bool(rows[0].get("crossZones")) if rows else not self.params.get("zones")
        self.first = rows[0] if rows else {}
        progress = self.progress(template_id)
        missing = [p["zonename"] or p["zoneid"] for p in progress if p["state"] == MISSING]
        if not self.crosszones and missing and not registered:
            raise self.error("already registered (id %s) but not in %s; copy it there in CloudStack or use a new "
                             "name" % (template_id, ", ".join(missing)))
        if self.params.get("wait", True) and not self.check_mode and not is_ready(progress):
            progress = self.wait_ready(template_id, registered, progress)
        extra = dict(self.report(template_id, progress), changed=registered)
        state = overall(progress)
        if state == FAILED:
            raise self.error("download failed: %s" % failure_text(progress), extra)
        if self.params.get("wait", True) and not self.check_mode and state != READY:
            raise self.not_ready(describe(progress), extra)
        settings = []
        if self.params.get("set_router_template"):
            if state != READY and not self.check_mode:
                raise self.error("not ready (%s); %s left unchanged"
                                 % (describe(progress), ROUTER_TEMPLATE_SETTINGS[self.hv]), extra)
            settings = self.router_template(extra)
        changed = registered or any(s["changed"] for s in settings)
        return self.result(changed, extra["template"], registered, progress, settings)

    def report(self, template_id, progress):
        first = self.first
        template = dict(
            id=template_id,
            name=self.name,
            hypervisor=first.get("hypervisor", self.hv_name),
            format=first.get("format", self.format),
            url=first.get("url", self.params["url"]),
            checksum=first.get("checksum", self.params.get("checksum")),
            templatetype=first.get("templatetype"),
            crosszones=self.crosszones,
            ready=is_ready(progress),
        )
        return dict(template=template, download=progress, progress=self.history, waited=self.waited)

    def plan_router_template(self):
        """The changes of ``router.template.<hypervisor>`` (global, and per zone where CloudStack offers it)."""
        wanted = [(ROUTER_TEMPLATE_SETTINGS[self.hv], self.name)]
        return plan(self.client, wanted, [GLOBAL] + zone_scopes(self.zones), self.deadline, only_offered=True)

    def router_template(self, extra):
        try:
            results = apply(self.client, self.plan_router_template(), self.check_mode, self.deadline)
        except CloudStackError as error:
            error.result = dict(extra, **(error.result or {}))
            error.result["changed"] = bool(extra.get("changed") or error.result.get("changed"))
            raise
        for item in results:
            item.setdefault("zone", None)
        return results

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
        if self.diff:
            wanted = dict(name=self.name, hypervisor=self.hv_name, url=self.params["url"],
                          checksum=self.params.get("checksum"), zones=[z[1] for z in self.zones])
            before = dict(template=None if registered else wanted)
            after = dict(template=wanted)
            if settings:
                before["settings"] = {_setting_key(s): s["before"] for s in settings}
                after["settings"] = {_setting_key(s): s["after"] for s in settings}
            result["diff"] = dict(before=before, after=after)
        return result


def _setting_key(item):
    return item["name"] if item["scope"] == "global" else "%s@%s" % (item["name"], item["zone"])
