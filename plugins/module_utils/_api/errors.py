# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exception types raised by the CloudStack API core.

Every error the API side of the collection raises derives from CloudStackError, so modules catch that one
type and turn it into a single line for ``fail_json``.
"""

from __future__ import annotations

import re

# A requests exception message can quote the request URL, and with GET that URL carries the api key and
# the signature. Nothing that reaches a log or a module result may contain them.
_QUERY_RE = re.compile(r"(/client/api)\?[^\s'\")]*")
_SECRET_PARAM_RE = re.compile(
    r"((?:apikey|api_key|signature|secret|secretkey|password|privatekey)=)[^&\s'\")]*", re.IGNORECASE)


def scrub(text):
    """``text`` without query strings and credential-looking parameters."""
    text = _QUERY_RE.sub(r"\1?<redacted>", str(text))
    return _SECRET_PARAM_RE.sub(r"\1<redacted>", text)


def shorten(value, limit=60):
    """``value`` for naming it in a message: a plain short word as it is, anything else (empty, spaces at the
    ends, control characters, not a string) as its repr, on one line and cut to about ``limit`` characters."""
    if isinstance(value, str) and value and value.strip() == value and value.isprintable() and len(value) <= limit:
        return value
    text = repr(value)
    if len(text) > limit:
        text = text[:limit - 5] + "...%s" % text[-2:]
    return text


def one_line(text):
    """``text`` with line breaks and control characters shown as escapes, so a message stays one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


class CloudStackError(Exception):
    """Base of every error raised by the collection's API core and the API backends.

    ``result`` holds what the task did before it failed (the keys a backend would have returned), so the failed
    task still reports its progress, and ``changed`` when writes went through.
    """

    def __init__(self, message, command=None, result=None):
        super().__init__(one_line(scrub(message)))
        self.command = command
        self.result = result

    @property
    def message(self):
        return self.args[0]

    def to_result(self):
        """Extra keys for fail_json, besides ``msg``."""
        result = {}
        if self.command:
            result["command"] = self.command
        return result


class ValidationError(CloudStackError):
    """The task's input cannot be acted on; nothing was sent."""


class NotFoundError(CloudStackError):
    """A named object does not exist."""


class DeadlineError(CloudStackError):
    """The task's wait_timeout ran out before a request could be sent."""


class ConfigurationError(CloudStackError):
    """Connection settings are missing or contradictory; nothing was sent."""


class TransportError(CloudStackError):
    """The request did not produce a CloudStack answer (connection refused, timeout, non-JSON body)."""

    def __init__(self, message, command=None, status=None, delivered=True):
        super().__init__(message, command)
        self.status = status
        self.delivered = delivered
        self.maybe_applied = False

    @property
    def transient(self):
        return self.status is None or self.status == 429 or self.status >= 500

    def mark_maybe_applied(self):
        """Say that the write behind this error may have been carried out (its answer was lost)."""
        # A 429 is a refusal: only a lost answer (no status) or a server failure leaves the write in doubt.
        if self.delivered and not self.maybe_applied and (self.status is None or self.status >= 500):
            self.maybe_applied = True
            if "may have been made" not in self.message:
                self.args = ("%s; the change may have been made" % self.message,)

    def to_result(self):
        result = super().to_result()
        if self.status is not None:
            result["http_status"] = self.status
        if self.maybe_applied:
            result["maybe_applied"] = True
        return result


class ApiError(CloudStackError):
    """CloudStack answered with its error envelope (errorcode, cserrorcode, errortext)."""

    def __init__(self, command, errorcode, errortext, cserrorcode=None):
        self.errorcode = int(errorcode) if errorcode is not None else None
        self.cserrorcode = int(cserrorcode) if cserrorcode is not None else None
        self.errortext = scrub(errortext or "")
        detail = "errorcode %s" % self.errorcode
        if self.cserrorcode is not None:
            detail += ", cserrorcode %s" % self.cserrorcode
        super().__init__("%s failed: %s (%s)" % (command, self.errortext or "no error text", detail), command)

    @property
    def transient(self):
        return self.errorcode is not None and (self.errorcode == 429 or self.errorcode >= 500)

    def to_result(self):
        result = super().to_result()
        result.update(errorcode=self.errorcode, cserrorcode=self.cserrorcode, errortext=self.errortext)
        return result


class JobFailedError(ApiError):
    """An asynchronous job ended with jobstatus 2 (failed) or 3 (cancelled)."""

    def __init__(self, command, jobid, errorcode, errortext, cserrorcode=None, jobstatus=2):
        self.jobid = jobid
        self.jobstatus = jobstatus
        super().__init__(command, errorcode, errortext, cserrorcode)
        verb = "was cancelled" if jobstatus == 3 else "failed"
        self.args = (one_line("%s job %s %s: %s (errorcode %s)" % (command, jobid, verb,
                                                                   self.errortext or "no error text",
                                                                   self.errorcode)),)

    def to_result(self):
        result = super().to_result()
        result["jobid"] = self.jobid
        return result


class JobTimeoutError(CloudStackError):
    """The waiter gave up on a job that had not finished within its timeout."""

    def __init__(self, command, jobid, timeout, polls):
        self.jobid = jobid
        self.timeout = timeout
        self.polls = polls
        super().__init__("%s job %s did not finish within wait_timeout (%ss, polled %d times); it may still be "
                         "running in CloudStack" % (command, jobid, _fmt_seconds(timeout), polls), command)

    def to_result(self):
        result = super().to_result()
        result.update(jobid=self.jobid, timeout=self.timeout)
        return result


def _fmt_seconds(value):
    """Seconds for a message: whole numbers as they are, fractions rounded to a tenth (3.96617 -> 4, 2.25 -> 2.2)."""
    return ("%g" % round(value, 1)) if isinstance(value, float) else str(value)
