# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``rolling_maintenance`` backend: CloudStack's own KVM rolling maintenance (``startRollingMaintenance``)
for hosts, clusters, pods or zones, waited for, with the hosts updated and skipped as CloudStack reports them.

``RollingMaintenanceBackend(client, params, check_mode, diff, deadline, warn).run()`` returns the module's result,
or raises a MaintenanceError carrying it when CloudStack reports ``success: false``.

A rolling maintenance runs for hours (each host goes through its stage scripts and a drain), so its job is polled
on ``LONG_SCHEDULE``: quickly at first, so a job that ends at once is seen at once, then every
``LONG_SCHEDULE.cap`` seconds at most, a few hundred polls for a whole day.
"""

from __future__ import annotations

from datetime import datetime

from .._api import lookup
from .._api.backend import ApiBackend
from .._api.errors import CloudStackError, ValidationError, shorten
from .._api.waiter import PollSchedule, Waiter
from .errors import MaintenanceError

COMMAND = "startRollingMaintenance"
# option -> (kind looked up, startRollingMaintenance parameter)
SCOPES = (("hosts", "host", "hostids"), ("clusters", "cluster", "clusterids"), ("pods", "pod", "podids"),
          ("zones", "zone", "zoneids"))
LONG_SCHEDULE = PollSchedule(first=0.2, factor=1.5, cap=60.0)
# The service executor passes the payload through systemd-escape and splits it on commas (FACTS section C).
# startRollingMaintenance's timeout is a Java Integer: a larger value is refused with HTTP 431.
MAX_TIMEOUT = 2147483647
_PAYLOAD_TRAPS = ((",", "the agent's service executor keeps only the part before the first comma"),
                  ("'", "a single quote breaks the agent's systemd-escape call, so the stage does not start"))


def check_input(params):
    """Raise ValidationError for input CloudStack would refuse or misread; returns warnings for a payload the
    agent's default executor mangles."""
    given = [option for option, _kind, _param in SCOPES if params.get(option)]
    if len(given) != 1:
        raise ValidationError("exactly one of hosts, clusters, pods or zones is required, got %s"
                              % (", ".join(given) or "none"))
    timeout = params.get("timeout")
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
        raise ValidationError("timeout must be between 1 and %d seconds, got %s" % (MAX_TIMEOUT, shorten(timeout)))
    payload = params.get("payload")
    if payload is not None and not str(payload).isprintable():
        raise ValidationError("payload must be one line of text, got %s" % shorten(payload))
    return ["payload %s: %s (use the agent executor, rolling.maintenance.service.executor.disabled=true, to pass it "
            "whole)" % (shorten(payload), why) for trap, why in _PAYLOAD_TRAPS if payload and trap in payload]


def parse_date(text):
    """A CloudStack date (``2025-01-31T10:00:00+0000``) as an aware datetime; None when absent or unreadable."""
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(str(text), fmt)
        except ValueError:
            continue
    return None


def updated_item(row):
    start, end = parse_date(row.get("startdate")), parse_date(row.get("enddate"))
    duration = round((end - start).total_seconds(), 1) if start and end else None
    return dict(id=row.get("hostid"), name=row.get("hostname"), start=row.get("startdate"), end=row.get("enddate"),
                duration_s=duration, output=row.get("output"))


def skipped_item(row):
    return dict(id=row.get("hostid"), name=row.get("hostname"), reason=row.get("reason"))


def response_of(jobresult):
    """The RollingMaintenanceResponse inside a job result (``{"rollingmaintenance": {...}}``, or the result
    itself when it is not wrapped)."""
    jobresult = jobresult or {}
    if "success" in jobresult:
        return jobresult
    inner = [value for value in jobresult.values() if isinstance(value, dict) and "success" in value]
    return inner[0] if inner else jobresult


def summary(response):
    """The module's result keys from a RollingMaintenanceResponse."""
    success = response.get("success")
    if isinstance(success, str):
        success = success.lower() == "true"
    updated = [updated_item(row) for row in response.get("hostsupdated") or []]
    return dict(success=bool(success), details=response.get("details"), hosts_updated=updated,
                hosts_skipped=[skipped_item(row) for row in response.get("hostsskipped") or []],
                changed=bool(updated))


class RollingMaintenanceBackend(ApiBackend):
    def __init__(self, client, params, check_mode=False, diff=False, deadline=None, warn=None):
        super().__init__(client, params, check_mode, diff, deadline)
        self.warn = warn or (lambda text: None)

    def run(self):
        try:
            return self._run()
        except CloudStackError as error:
            if not error.message.startswith("start rolling maintenance"):
                error.args = ("start rolling maintenance: %s" % error.message,)
            raise

    def _run(self):
        for text in check_input(self.params):
            self.warn(text)
        option, kind, param = next(scope for scope in SCOPES if self.params.get(scope[0]))
        ids = [lookup.resolve_id(self.client, kind, value, deadline=self.deadline) for value in self.params[option]]
        result = dict(changed=True, jobid=None, success=None, details=None, hosts_updated=[], hosts_skipped=[],
                      scope={param: ids})
        if self.check_mode:
            return result
        request = {param: ids, "forced": self.params.get("forced") or None, "timeout": self.params.get("timeout"),
                   "payload": self.params.get("payload")}
        result["jobid"] = self.client.submit(COMMAND, request, self.deadline)["jobid"]
        if not self.params.get("wait", True):
            return result
        waiter = Waiter(self.client.query_job, LONG_SCHEDULE)
        try:
            jobresult = waiter.job(result["jobid"], COMMAND, self.deadline)
        except CloudStackError as error:
            error.result = dict(result, **(error.result or {}))
            raise
        result.update(summary(response_of(jobresult)))
        if not result["success"]:
            raise MaintenanceError("start rolling maintenance: CloudStack reports it failed: %s"
                                   % (result["details"] or "no details"), COMMAND, result)
        return result
