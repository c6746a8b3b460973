# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded polling of an observed state (a template download, a replacement system VM) that is not an async job.

Async jobs go through ``_api.waiter.JobWaiter``; this is its counterpart for "list until it looks right":
the same poll schedule, the same monotonic clock, and never past the deadline.
"""

from __future__ import annotations

import time

from ._api.waiter import DEFAULT_SCHEDULE


class Deadline:
    """An overall time budget on a monotonic clock, shared by several waits of one task."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self):
        return max(0.0, self._end - self._clock())

    def elapsed(self):
        return round(self.seconds - self.remaining(), 1)

    def expired(self):
        return self.remaining() <= 0


def poll(fetch, done, deadline, schedule=DEFAULT_SCHEDULE, sleep=time.sleep):
    """Call ``fetch()`` until ``done(value)`` is true or ``deadline`` expires.

    Returns ``(value, finished)``: the last value fetched and whether ``done`` accepted it. ``fetch`` is
    always called at least once, so a state that is already right costs one call and no sleep.
    """
    value = None
    for interval in schedule.intervals():
        value = fetch()
        if done(value):
            return value, True
        remaining = deadline.remaining()
        if remaining <= 0:
            return value, False
        sleep(min(interval, remaining))
    return value, False  # pragma: no cover - intervals() never ends
