# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``host`` backend: a KVM host's resource state, enabled, disabled or in maintenance, with the drain
reported.

``HostBackend(client, params, check_mode, diff, deadline, warn).run()`` returns the module's result, or raises a
MaintenanceError whose ``result`` holds the host, the drain and the capacity figures so far.

Maintenance goes: the checks that refuse before anything changes (the host is Up, no VM of the cluster is in a
transitional state, the other Up and Enabled hosts can hold the host's VMs together), prepareHostForMaintenance
(its job ends once the host is in PrepareForMaintenance), then the observed resource state until the drain ends.
Every maintenance state is handled: Maintenance is success; ErrorInPrepareForMaintenance (a migration failed while
others are still pending) is waited through like PrepareForMaintenance, as CloudStack moves on from it to
ErrorInMaintenance or Maintenance; ErrorInMaintenance fails naming the VMs still on the host; a host that is still
draining when the time is up fails too
(CloudStack would otherwise carry on and may put it in maintenance later, unseen). With ``on_error=cancel`` each
failure takes the host out of maintenance again; for that, part of ``wait_timeout`` (``restore_reserve``) is kept
back from the wait, so the cancel also fits in it.
"""

from __future__ import annotations

from .._api import lookup
from .._api.backend import ApiBackend
from .._api.errors import CloudStackError, JobFailedError, JobTimeoutError, shorten
from .._api.waiter import PollSchedule
from . import capacity
from .cluster import ROUTER, SYSTEMVM, USER, read_cluster, vm_view
from .errors import MaintenanceError, RefusedError

PREPARING = "PrepareForMaintenance"
MAINTENANCE = "Maintenance"
ERROR_PREPARING = "ErrorInPrepareForMaintenance"
DRAINING = (PREPARING, ERROR_PREPARING)
ERROR_STATES = ("ErrorInMaintenance",)
MAINTENANCE_STATES = DRAINING + (MAINTENANCE,) + ERROR_STATES

HOST_KEYS = ("id", "name", "state", "resourcestate", "clusterid", "clustername", "podid", "zoneid")
VERBS = {"maintenance": "put host %s into maintenance", "enabled": "enable host %s", "disabled": "disable host %s"}

# The most kept back from the maintenance wait to cancel a failed maintenance (a fifth of wait_timeout if less).
MAX_RESERVE = 60.0
# VMs named in a failure message; the result's ``drain`` lists them all.
MAX_NAMED = 3

# Polls of the host while it drains: every moment past the end of the drain is added to the host's time in
# maintenance (in a rolling run, to every host's), so the gaps stop growing at 3 s rather than the waiter's 10 s.
# One listHosts of one host each time.
DRAIN_SCHEDULE = PollSchedule(first=0.15, factor=1.5, cap=3.0)


def restore_reserve(wait_timeout):
    """Seconds of ``wait_timeout`` kept back from the wait for Maintenance, to cancel it within the budget."""
    return min(MAX_RESERVE, wait_timeout / 5.0)


def vm_names(vms):
    """The VMs named for a message: the first MAX_NAMED, then how many more."""
    names = ", ".join(vm_label(vm) for vm in vms[:MAX_NAMED]) or "none"
    if len(vms) > MAX_NAMED:
        names += " and %d more" % (len(vms) - MAX_NAMED)
    return names


def cut(text, limit=120):
    """``text`` on one line, cut to about ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def host_view(host):
    return {key: (host or {}).get(key) for key in HOST_KEYS}


def vm_label(vm):
    """How a VM is named in a message: its name, and its instance name when that differs."""
    if vm.get("instancename") and vm["instancename"] != vm.get("name"):
        return "%s (%s)" % (vm.get("name"), vm["instancename"])
    return str(vm.get("name"))


def drain_item(vm, host, after):
    """One ``drain`` entry: ``vm`` (a ``vm_view`` as it was on ``host``) and where it is now (``after``, a
    ``vm_view`` or None when not read)."""
    item = dict(id=vm["id"], name=vm["name"], kind=vm["kind"], from_host=host.get("name"), to_host=None,
                state=vm["state"], moved=False)
    if after is not None:
        item["state"] = after["state"]
        if after["hostid"] and after["hostid"] != host.get("id"):
            item.update(to_host=after["hostname"], moved=True)
        elif not after["hostid"]:
            item["moved"] = True  # stopped: off the host, on none
    return item


class HostBackend(ApiBackend):
    def __init__(self, client, params, check_mode=False, diff=False, deadline=None, warn=None):
        super().__init__(client, params, check_mode, diff, deadline)
        self.warn = warn or (lambda text: None)
        self.host = None
        self.before = None
        self.drain = []
        self.capacity = None
        self.forced = False
        self.jobid = None
        self.cancel_jobid = None
        self.cancel_error = None
        self.changed = False

    # -- reporting ----------------------------------------------------------------------------------------

    def what(self):
        name = (self.host or {}).get("name") or self.params.get("name") or self.params.get("id")
        return VERBS[self.params["state"]] % shorten(name)

    def report(self):
        result = dict(changed=self.changed, host=host_view(self.host), drain=self.drain, capacity=self.capacity,
                      forced=self.forced)
        if self.jobid:
            result["jobid"] = self.jobid
        if self.cancel_jobid:
            result["cancel_jobid"] = self.cancel_jobid
        if self.cancel_error:
            result["cancel_error"] = self.cancel_error
        if self.diff and self.before is not None:
            after = (self.host or {}).get("resourcestate")
            if self.check_mode and self.changed:
                after = {"maintenance": MAINTENANCE, "enabled": "Enabled", "disabled": "Disabled"}[self.params["state"]]
            result["diff"] = dict(before=dict(resourcestate=self.before), after=dict(resourcestate=after))
        return result

    def error(self, reason, cls=MaintenanceError, command=None):
        return cls("%s: %s" % (self.what(), reason), command, self.report())

    # -- reads ----------------------------------------------------------------------------------------------

    def find_host(self):
        params = self.params
        scope = lookup.location_filters(self.client, params, ("zone", "pod", "cluster"), self.deadline)
        return lookup.get(self.client, "host", params.get("id") or params.get("name"), deadline=self.deadline,
                          **scope)

    def reread(self, deadline=None):
        self.host = lookup.get(self.client, "host", self.host["id"], deadline=deadline or self.deadline)
        return self.host

    def where(self, vms):
        """``{id: vm_view}`` of ``vms`` as they are now: user VMs by ids (wherever they are, stopped ones too),
        routers by the host's cluster, system VMs by its pod; one listing per kind present."""
        now = {}
        users = [vm["id"] for vm in vms if vm["kind"] == USER]
        if users:
            for row in lookup.find(self.client, "vm", deadline=self.deadline, ids=users):
                now[row["id"]] = vm_view(row, USER)
        if any(vm["kind"] == ROUTER for vm in vms):
            for row in lookup.find(self.client, "router", deadline=self.deadline, clusterid=self.host["clusterid"]):
                now[row["id"]] = vm_view(row, ROUTER)
        if any(vm["kind"] == SYSTEMVM for vm in vms):
            for row in lookup.find(self.client, "systemvm", deadline=self.deadline, podid=self.host["podid"]):
                now[row["id"]] = vm_view(row, SYSTEMVM)
        return now

    # -- the task -----------------------------------------------------------------------------------------

    def run(self):
        try:
            self.host = self.find_host()
            self.before = self.host.get("resourcestate")
            return getattr(self, self.params["state"])()
        except CloudStackError as error:
            prefix = self.what() + ": "
            if not error.message.startswith(prefix):
                error.args = (prefix + error.message,)
            if not isinstance(error, MaintenanceError):
                error.result = dict(self.report(), **(error.result or {}))
            raise

    def maintenance(self):
        state = self.host.get("resourcestate")
        if state == MAINTENANCE:
            return self.report()
        if state not in ("Enabled", "Disabled") + MAINTENANCE_STATES:
            raise self.error("it is %s; only an Enabled or Disabled host can go into maintenance; nothing was "
                             "changed" % state, RefusedError)
        if state in ("Enabled", "Disabled") and self.host.get("state") != "Up":
            raise self.error("it is %s, not Up; nothing was changed" % self.host.get("state"), RefusedError)
        view = read_cluster(self.client, self.host["clusterid"], self.host.get("podid"), self.deadline)
        on_host = view.on_host(self.host["id"])
        if state in ERROR_STATES:
            # Left so by an earlier run: report what is still on it and restore, as if this run had got there.
            self.drain = [drain_item(vm, self.host, vm) for vm in on_host]
            raise self.failed(state, on_host)
        self.drain = [drain_item(vm, self.host, None) for vm in on_host]
        if state in DRAINING:
            # A drain started earlier is still going on: wait for it, nothing new is sent.
            return self.wait_for_maintenance(on_host, self.wait_deadline())
        self.refuse_unsafe(view)
        self.changed = True
        if self.check_mode:
            return self.report()
        wait_deadline = self.wait_deadline()
        try:
            self.jobid = self.client.submit("prepareHostForMaintenance", {"id": self.host["id"]},
                                            wait_deadline)["jobid"]
            if not self.params.get("wait", True):
                return self.report()
            self.client.waiter.job(self.jobid, "prepareHostForMaintenance", wait_deadline)
        except CloudStackError as error:
            self.changed = self.client.writes_done
            raise self.failed(None, on_host, error)
        return self.wait_for_maintenance(on_host, wait_deadline)

    def wait_deadline(self):
        """The part of the task's Deadline the maintenance wait may use: all of it with ``on_error=leave``, else
        all but ``restore_reserve``."""
        if self.params.get("on_error", "cancel") != "cancel":
            return self.deadline
        return self.deadline.short_of(restore_reserve(self.deadline.seconds))

    def refuse_unsafe(self, view):
        """Raise RefusedError, before anything changed, when the maintenance is not safe to start (the host was
        found Up already)."""
        moving = view.transitional()
        if moving:
            raise self.error("VMs of cluster %s are in a transitional state: %s; run again once they have settled; "
                             "nothing was changed" % (self.host.get("clustername"), ", ".join(
                                 "%s (%s)" % (vm_label(vm), vm["state"]) for vm in moving)), RefusedError)
        self.capacity = capacity.check(self.host, view.hosts, view.cluster, view.running_user_vms(self.host["id"]))
        if self.capacity["fits"]:
            return
        reason = "the other Up and Enabled hosts of cluster %s cannot hold its VMs together: %s" % (
            self.host.get("clustername"), capacity.shortfall(self.capacity))
        if not self.params.get("force"):
            raise self.error(reason + "; nothing was changed (force: true goes ahead anyway)", RefusedError)
        self.forced = True
        self.warn("force: %s; going ahead: VMs that find no room leave the host in ErrorInMaintenance, and on the "
                  "last Up host of a cluster CloudStack stops its user VMs" % reason)

    def wait_for_maintenance(self, on_host, wait_deadline):
        seen = [self.host]

        def fetch():
            seen[0] = lookup.get(self.client, "host", self.host["id"], deadline=wait_deadline)
            return seen[0]

        try:
            current, finished = self.client.waiter.until(
                fetch, lambda host: host.get("resourcestate") not in DRAINING, wait_deadline, DRAIN_SCHEDULE)
        except CloudStackError as error:
            if not wait_deadline.expired():
                raise self.failed(None, on_host, error)
            current, finished = seen[0], False
        self.host = current
        state = current.get("resourcestate")
        if finished and state == MAINTENANCE:
            now = self.where(on_host)
            self.drain = [drain_item(vm, self.host, now.get(vm["id"])) for vm in on_host]
            return self.report()
        if finished and state not in MAINTENANCE_STATES:
            raise self.error("it left maintenance (now %s) before reaching Maintenance: it was cancelled by someone "
                             "else" % state)
        raise self.failed(state if finished else None, on_host)

    def failed(self, state, on_host, error=None):
        """The MaintenanceError for a maintenance that did not reach Maintenance (in error ``state``, still
        preparing when ``state`` is None, or failed with ``error``), naming the VMs still on the host; with
        ``on_error=cancel`` the host is taken out of maintenance first."""
        if error is not None:
            reason = error.message
        else:
            now = self.where(on_host)
            self.drain = [drain_item(vm, self.host, now.get(vm["id"])) for vm in on_host]
            stuck = [vm for vm in on_host if now.get(vm["id"], vm)["hostid"] == self.host["id"]]
            names = vm_names(stuck)
            if state is None:
                reason = "still %s after the wait_timeout of %ss (%d VM%s still on it: %s)" % (
                    self.host.get("resourcestate") or PREPARING, self.deadline.seconds, len(stuck),
                    "" if len(stuck) == 1 else "s", names)
            else:
                reason = "it is %s with %d VM%s still on it: %s" % (state, len(stuck), "" if len(stuck) == 1 else "s",
                                                                    names)
        failure = self.error(reason + "; " + self.restore(), command=getattr(error, "command", None))
        if error is not None:
            failure.result.update(error.to_result())
        return failure

    def restore(self):
        """Take the host out of maintenance (``on_error=cancel``) if it is in a maintenance state; what was done,
        in words."""
        if self.params.get("on_error", "cancel") != "cancel":
            return "left as it is (on_error=leave)"
        try:
            state = self.reread().get("resourcestate")
            if state not in MAINTENANCE_STATES:
                return "the host is %s" % state
            self.cancel()
        except CloudStackError as error:
            # The whole error (with its job id) goes in the result; the message keeps to one short clause.
            self.cancel_error = error.message
            if isinstance(error, JobTimeoutError):
                return "cancelling maintenance did not finish in time either (see cancel_jobid)"
            if isinstance(error, JobFailedError):
                return "cancelling maintenance failed too: %s" % cut(error.errortext or "no error text")
            return "cancelling maintenance failed too: %s" % cut(error.message)
        return "maintenance was cancelled, the host is %s again" % self.host.get("resourcestate")

    def cancel(self, wait=True):
        """cancelHostMaintenance, waited for unless ``wait`` is false; the host afterwards."""
        jobid = self.client.submit("cancelHostMaintenance", {"id": self.host["id"]}, self.deadline)["jobid"]
        self.changed = True
        self.cancel_jobid = jobid
        if not wait:
            self.jobid = jobid
            return self.host
        answer = self.client.waiter.job(jobid, "cancelHostMaintenance", self.deadline) or {}
        self.host = answer.get("host") or self.reread()
        return self.host

    def allocate(self, value):
        """updateHost with allocationstate ``value`` (Enable or Disable)."""
        answer = self.client.request("updateHost", {"id": self.host["id"], "allocationstate": value},
                                     self.deadline) or {}
        self.changed = True
        self.host = answer.get("host") or self.reread()

    def enabled(self):
        state = self.host.get("resourcestate")
        if state == "Enabled":
            return self.report()
        if state not in MAINTENANCE_STATES + ("Disabled",):
            raise self.error("it is %s; only a Disabled host or one in maintenance can be enabled; nothing was "
                             "changed" % state, RefusedError)
        self.changed = True
        if self.check_mode:
            return self.report()
        if state == "Disabled":
            self.allocate("Enable")
        else:
            self.cancel(wait=self.params.get("wait", True))
        return self.report()

    def disabled(self):
        state = self.host.get("resourcestate")
        if state == "Disabled":
            return self.report()
        if state not in MAINTENANCE_STATES + ("Enabled",):
            raise self.error("it is %s; only an Enabled host or one in maintenance can be disabled; nothing was "
                             "changed" % state, RefusedError)
        self.changed = True
        if self.check_mode:
            return self.report()
        if state in MAINTENANCE_STATES:
            self.cancel()
        if self.host.get("resourcestate") != "Disabled":
            self.allocate("Disable")
        return self.report()
