# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CloudStack API client every module uses.

``transport.py`` signs and sends one request; this layer adds what modules need on top of it: typed errors that
say whether a lost write may have been applied, retries of safe calls, full pagination, and waiting through the
one waiter with the task's Deadline passed down to every request.
"""

from __future__ import annotations

from .errors import CloudStackError, DeadlineError, TransportError
from .pagination import MAX_PAGE_SIZE, paginate
from .retry import RetryPolicy, is_read
from .transport import Transport
from .waiter import DEFAULT_SCHEDULE, Waiter


class CloudStackClient:
    """Calls CloudStack: ``request`` for one call, ``list`` for every page, ``submit`` and ``waiter`` for jobs.

    ``writes_applied`` counts the writes CloudStack confirmed and ``writes_uncertain`` those whose answer was
    lost, so a task that fails halfway can still say that it changed something.
    """

    def __init__(self, connection, retry=None, schedule=DEFAULT_SCHEDULE, transport=None):
        self.connection = connection
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0
        self.writes_applied = 0
        self.writes_uncertain = 0
        self._transport = transport or Transport(connection)
        self.waiter = Waiter(self.query_job, schedule)

    # -- single calls -----------------------------------------------------------------------------------

    def request(self, command, params=None, deadline=None):
        """The unwrapped answer of one call. A read is retried on transient failures; a write is sent once.

        With ``deadline``, each attempt's HTTP timeout and each pause between attempts fit in what is left of it.
        """
        params = _clean(params)

        def attempt():
            timeout = self.connection.timeout
            if deadline is not None:
                if deadline.expired():
                    raise DeadlineError("%s was not sent: the wait_timeout of %ss ran out"
                                        % (command, deadline.seconds), command)
                timeout = deadline.clip(timeout)
            return self._send(command, params, timeout)

        return self.retry.call(command, attempt, deadline)

    def _send(self, command, params, timeout):
        self.requests_sent += 1
        write = not is_read(command)
        try:
            answer = self._transport.send(command, params, timeout)
        except TransportError as error:
            if write and error.transient:
                self.writes_uncertain += 1
                error.mark_maybe_applied()
            raise
        if write:
            self.writes_applied += 1
        return answer

    @property
    def writes_done(self):
        """Whether any write was confirmed, or may have been applied."""
        return bool(self.writes_applied or self.writes_uncertain)

    # -- lists ------------------------------------------------------------------------------------------

    def list(self, command, params=None, object_name=None, deadline=None):
        """Every item of a list command, across all pages."""
        params = _clean(params)

        def fetch(page, size):
            return self.request(command, dict(params, page=page, pagesize=size), deadline)

        items, _pages = paginate(fetch, pagesize=MAX_PAGE_SIZE, object_name=object_name)
        return items

    # -- async jobs -------------------------------------------------------------------------------------

    def submit(self, command, params=None, deadline=None):
        """Start an async command; returns the submit answer (``jobid``, and ``id`` for some commands)."""
        response = self.request(command, params, deadline)
        if not response or "jobid" not in response:
            raise CloudStackError("%s failed: CloudStack returned no jobid" % command, command)
        return response

    def query_job(self, jobid, deadline=None):
        """The queryAsyncJobResult answer for ``jobid``."""
        return self.request("queryAsyncJobResult", {"jobid": jobid}, deadline)

    def run(self, command, params, deadline, wait=True):
        """Submit ``command`` and, unless ``wait`` is false, wait for it within ``deadline``.

        Returns ``(jobid, jobresult)``; ``jobresult`` is None when not waited for."""
        jobid = self.submit(command, params, deadline)["jobid"]
        if not wait:
            return jobid, None
        return jobid, self.waiter.job(jobid, command, deadline)


def _clean(params):
    """Drop unset parameters; the transport encodes booleans, numbers and lists as CloudStack expects."""
    return {k: v for k, v in (params or {}).items() if v is not None}
