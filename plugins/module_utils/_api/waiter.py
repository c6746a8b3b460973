# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one waiter for CloudStack asynchronous jobs.

Polls ``queryAsyncJobResult`` on a monotonic clock. The first polls come quickly, so a job that finishes in a
fraction of a second is seen at once; the gap then grows geometrically up to a cap, so a job that runs for
minutes is not hammered. The waiter never sleeps past its deadline and raises JobTimeoutError, naming the job
and the command, when the deadline passes.
"""

from __future__ import annotations

import time

from .errors import JobFailedError, JobTimeoutError

JOB_PENDING = 0
JOB_SUCCEEDED = 1
JOB_FAILED = 2
JOB_CANCELLED = 3


class PollSchedule:
    """Intervals between polls: ``first``, then multiplied by ``factor`` up to ``cap`` seconds."""

    def __init__(self, first=0.15, factor=1.5, cap=10.0):
        if first <= 0 or factor < 1 or cap < first:
            raise ValueError("invalid poll schedule")
        self.first = first
        self.factor = factor
        self.cap = cap

    def intervals(self):
        interval = self.first
        while True:
            yield interval
            interval = min(self.cap, interval * self.factor)


DEFAULT_SCHEDULE = PollSchedule()


class JobWaiter:
    """Wait for a job. ``query(jobid, remaining)`` returns the queryAsyncJobResult body as a dict."""

    def __init__(self, query, schedule=DEFAULT_SCHEDULE, clock=time.monotonic, sleep=time.sleep):
        self._query = query
        self._schedule = schedule
        self._clock = clock
        self._sleep = sleep

    def wait(self, jobid, command, timeout, progress=None):
        """Return the job's ``jobresult`` once it succeeded.

        Raises JobFailedError when the job failed or was cancelled and JobTimeoutError when ``timeout``
        seconds have passed. ``progress(job, polls)``, if given, is called after every poll.
        """
        deadline = self._clock() + timeout
        polls = 0
        for interval in self._schedule.intervals():
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            job = self._query(jobid, remaining)
            polls += 1
            if progress is not None:
                progress(job, polls)
            status = int(job.get("jobstatus", JOB_PENDING))
            if status == JOB_SUCCEEDED:
                return job.get("jobresult") or {}
            if status in (JOB_FAILED, JOB_CANCELLED):
                raise _job_error(command, jobid, job, status)
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            self._sleep(min(interval, remaining))
        raise JobTimeoutError(command, jobid, timeout, polls)


def _job_error(command, jobid, job, status):
    result = job.get("jobresult") or {}
    if not isinstance(result, dict):
        result = {"errortext": str(result)}
    return JobFailedError(
        command,
        jobid,
        errorcode=result.get("errorcode", job.get("jobresultcode")),
        errortext=result.get("errortext"),
        cserrorcode=result.get("cserrorcode"),
        jobstatus=status,
    )
