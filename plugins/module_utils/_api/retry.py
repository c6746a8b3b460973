# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries with jittered exponential backoff, for calls that are safe to repeat.

Only reads are retried. A write that failed with a connection error or a 5xx may still have been carried out
by CloudStack, so repeating it blindly could run it twice: writes are never retried here.
"""

from __future__ import annotations

import random
import time

from .errors import ApiError, TransportError

# Commands that change nothing in the cloud (runDiagnostics only runs a network test in a VM). Anything else is
# treated as a write.
_READ_PREFIXES = ("list", "query")
_READ_COMMANDS = frozenset(("getRouterHealthCheckResults", "runDiagnostics"))


def is_read(command):
    return command.startswith(_READ_PREFIXES) or command in _READ_COMMANDS


def is_transient(error):
    """Connection errors, timeouts, 429 and 5xx answers may go away by themselves."""
    if isinstance(error, (TransportError, ApiError)):
        return error.transient
    return False


class RetryPolicy:
    """How often and how long to retry: ``attempts`` tries in all, full-jitter backoff capped at ``cap``."""

    def __init__(self, attempts=4, base=0.25, cap=4.0, sleep=time.sleep, rand=random.random):
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.attempts = attempts
        self.base = base
        self.cap = cap
        self._sleep = sleep
        self._rand = rand

    def delay(self, attempt):
        """Delay before retry number ``attempt`` (1-based): uniform in [0, min(cap, base * 2**(attempt-1))]."""
        return self._rand() * min(self.cap, self.base * (2 ** (attempt - 1)))

    def call(self, command, func, deadline=None):
        """What ``func()`` returns; it is called again on transient errors if ``command`` is a read, as long as
        the pause before the next attempt fits in ``deadline`` (when given)."""
        retryable = is_read(command)
        attempt = 0
        while True:
            attempt += 1
            try:
                return func()
            except (TransportError, ApiError) as error:
                if not (retryable and is_transient(error)) or attempt >= self.attempts:
                    raise
                pause = self.delay(attempt)
                if deadline is not None and pause >= deadline.remaining():
                    raise
            self._sleep(pause)
