# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one waiter: asynchronous jobs and observed states, each bounded by one Deadline.

Everything in the collection that waits goes through this file:

- ``Deadline``: a task's time budget on a monotonic clock. It is passed down to every request made while
  waiting, so the HTTP timeout of a poll and the sleeps between retries are clipped by it, and ``wait_timeout``
  is a true bound.
- ``Waiter.job``: one asynchronous job, polled with ``queryAsyncJobResult``.
- ``Waiter.until``: an observed state that is not a job (a template ready in every zone, a replacement system VM
  running), read again and again until a predicate accepts it.
- ``JobPool``: many jobs in flight at once (a fleet of router upgrades), each polled when it is due, in one loop.

Polls come quickly at first, so a job that ends in a fraction of a second is seen at once, and the gap then
grows geometrically up to a cap, so a job that runs for minutes is polled rarely. Nothing sleeps past the
deadline.
"""

from __future__ import annotations

import time

from .errors import DeadlineError, JobFailedError, JobTimeoutError, TransportError

JOB_PENDING = 0
JOB_SUCCEEDED = 1
JOB_FAILED = 2
JOB_CANCELLED = 3


class Deadline:
    """An overall time budget of ``seconds`` on a monotonic clock, shared by every wait and request of a task."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self):
        """Seconds left, never negative."""
        return max(0.0, self._end - self._clock())

    def elapsed(self):
        """Seconds since the deadline was set, rounded to a tenth."""
        return round(self.seconds - self.remaining(), 1)

    def expired(self):
        return self.remaining() <= 0

    def clip(self, seconds):
        """``seconds``, or what is left of the budget when that is less."""
        return min(float(seconds), self.remaining())

    def short_of(self, seconds):
        """A Deadline on the same clock that ends ``seconds`` before this one: the part of the budget a wait may use
        when the rest is kept for what must follow it. Its budget is rounded down to a tenth (it reads well in a
        message and never ends after this one), and is never below 0."""
        return Deadline(max(0.0, int((self.remaining() - seconds) * 10) / 10.0), self._clock)


class PollSchedule:
    """Gaps between polls: ``first``, then multiplied by ``factor`` up to ``cap`` seconds."""

    def __init__(self, first=0.15, factor=1.5, cap=10.0):
        if first <= 0 or factor < 1 or cap < first:
            raise ValueError("invalid poll schedule")
        self.first = first
        self.factor = factor
        self.cap = cap

    def gap(self, polls):
        """The gap after the ``polls``-th poll (1-based)."""
        return min(self.cap, self.first * self.factor ** max(0, polls - 1))


DEFAULT_SCHEDULE = PollSchedule()


def _ran_out(error, deadline):
    """Whether a failed poll failed because the deadline cut it short (then the wait timed out, not the API)."""
    return isinstance(error, DeadlineError) or (error.transient and deadline.expired())


def job_outcome(command, jobid, job):
    """``(finished, jobresult or JobFailedError)`` for one queryAsyncJobResult answer."""
    status = int(job.get("jobstatus", JOB_PENDING))
    if status == JOB_SUCCEEDED:
        return True, job.get("jobresult") or {}
    if status in (JOB_FAILED, JOB_CANCELLED):
        result = job.get("jobresult") or {}
        if not isinstance(result, dict):
            result = {"errortext": str(result)}
        return True, JobFailedError(command, jobid, errorcode=result.get("errorcode", job.get("jobresultcode")),
                                    errortext=result.get("errortext"), cserrorcode=result.get("cserrorcode"),
                                    jobstatus=status)
    return False, None


class Waiter:
    """Waits on behalf of a client. ``query(jobid, deadline)`` returns a queryAsyncJobResult body."""

    def __init__(self, query, schedule=DEFAULT_SCHEDULE, sleep=time.sleep):
        self._query = query
        self.schedule = schedule
        self._sleep = sleep

    def job(self, jobid, command, deadline, progress=None):
        """The ``jobresult`` of job ``jobid`` (started by ``command``) once it succeeded.

        Raises JobFailedError when it failed or was cancelled, and JobTimeoutError, naming the job, the command
        and the budget, when ``deadline`` ran out first. ``progress(job, polls)`` is called after every poll.
        """
        polls = 0
        while not deadline.expired():
            try:
                job = self._query(jobid, deadline)
            except (TransportError, DeadlineError) as error:
                if _ran_out(error, deadline):
                    break
                raise
            polls += 1
            if progress is not None:
                progress(job, polls)
            finished, outcome = job_outcome(command, jobid, job)
            if finished:
                if isinstance(outcome, JobFailedError):
                    raise outcome
                return outcome
            self._sleep(deadline.clip(self.schedule.gap(polls)))
        raise JobTimeoutError(command, jobid, deadline.seconds, polls)

    def until(self, fetch, done, deadline, schedule=None):
        """Call ``fetch()`` until ``done(value)`` is true or ``deadline`` runs out, with the gaps of ``schedule``
        (the waiter's own when None).

        Returns ``(value, finished)``: the last value read and whether ``done`` accepted it. ``fetch`` is always
        called at least once, so a state that is already right costs one read and no sleep.
        """
        schedule = schedule or self.schedule
        polls = 0
        value = None
        while True:
            try:
                value = fetch()
            except (TransportError, DeadlineError) as error:
                if polls and _ran_out(error, deadline):
                    return value, False
                raise
            polls += 1
            if done(value):
                return value, True
            if deadline.expired():
                return value, False
            self._sleep(deadline.clip(schedule.gap(polls)))
            if deadline.expired():
                # No read is started with no time left for it: the last value read is the answer.
                return value, False

    def pool(self, deadline):
        """A JobPool for many jobs under ``deadline``."""
        return JobPool(self._query, deadline, self.schedule, sleep=self._sleep)


class _Flight:
    __slots__ = ("jobid", "command", "tag", "started", "polls", "step", "due", "probing")

    def __init__(self, jobid, command, tag, started, due):
        self.jobid = jobid
        self.command = command
        self.tag = tag
        self.started = started
        self.polls = 0
        self.step = 0  # how far along the schedule's gaps the job is
        self.due = due
        self.probing = False  # first polled early, to narrow down how long jobs of its command take


class _Duration:
    """What the pool has learned of how long jobs of one command take: an age at which a job was seen still
    pending at its first poll (``lower``) and the shortest age at which one was seen ended (``upper``)."""

    # Bounds this close together are close enough: first polls then go to ``upper``.
    TOLERANCE = 0.05
    # Between two bounds further apart, a first poll probes at this fraction of the gap, above ``lower``.
    PROBE = 0.75

    def __init__(self):
        self.lower = 0.0
        self.upper = None

    def pending_at(self, age):
        self.lower = max(self.lower, age)
        if self.upper is not None and self.lower >= self.upper:
            self.upper = None  # jobs got slower than before: learn again

    def ended_at(self, age):
        if self.upper is None or age < self.upper:
            self.upper = age
        if self.lower >= self.upper:
            self.lower = 0.0  # jobs got faster than before

    def probe(self):
        """An age between the bounds worth trying a first poll at, or None when they are close enough (or no
        job has ended yet)."""
        if self.upper is None or self.upper - self.lower <= self.TOLERANCE:
            return None
        return self.lower + self.PROBE * (self.upper - self.lower)


class JobPool:
    """Jobs in flight, polled together in one loop, each when it is due.

    While no job of a command has ended, its oldest job is the scout, polled on the schedule, and the others of
    that command wait for what it teaches; every ``SCOUT_POLLS`` polls of the oldest without an end, one more job
    joins the scouts (at the oldest's gaps), so one hung job cannot hold back the others.

    Once jobs have been seen ending, a new job is first polled at the shortest age a job of its command was seen
    ended at; one job at a time probes earlier, between what is known, so that bound tightens to within
    ``_Duration.TOLERANCE`` for at most one extra poll per probe. A job still running then follows the schedule's
    growing gaps. Jobs of one kind that take about as long as each other are so found ended by their first poll,
    and a fleet of jobs costs about one poll per job.

    ``next_finished`` returns ``[(tag, jobid, command, outcome, seconds)]`` as soon as a job has ended; ``outcome``
    is the jobresult, a JobFailedError, or a JobTimeoutError once the deadline ran out.
    """

    SCOUT_POLLS = 4

    def __init__(self, query, deadline, schedule=DEFAULT_SCHEDULE, clock=time.monotonic, sleep=time.sleep):
        self._query = query
        self._deadline = deadline
        self._schedule = schedule
        self._clock = clock
        self._sleep = sleep
        self._flights = []
        self._learned = {}

    def __len__(self):
        return len(self._flights)

    def add(self, jobid, command, tag=None):
        """Track job ``jobid``; call it once the submit call has answered."""
        now = self._clock()
        flight = _Flight(jobid, command, tag, now, now + self._schedule.first)
        self._flights.append(flight)
        self._plan_first(flight, any(f.probing for f in self._flights if f.command == command and f is not flight))

    def next_finished(self):
        """Wait until a job has ended (or the deadline ran out); return the ended jobs."""
        while self._flights:
            if self._deadline.expired():
                ended = [(f.tag, f.jobid, f.command, JobTimeoutError(f.command, f.jobid, self._deadline.seconds,
                                                                     f.polls), self._clock() - f.started)
                         for f in self._flights]
                self._flights = []
                return ended
            due = self._due()
            if not due:
                wake = min(f.due for f in self._flights)
                self._sleep(self._deadline.clip(max(0.0, wake - self._clock())))
                continue
            for flight in due:
                if self._deadline.expired():
                    break
                ended = self._poll(flight)
                if ended:
                    return [ended]
        return []

    def _poll(self, flight):
        """Poll one job; the ended tuple, or None when it is still running (or the deadline cut the poll short,
        which the next round reports as a timeout)."""
        try:
            job = self._query(flight.jobid, self._deadline)
        except (TransportError, DeadlineError) as error:
            if _ran_out(error, self._deadline):
                return None
            raise
        flight.polls += 1
        flight.step += 1
        finished, outcome = job_outcome(flight.command, flight.jobid, job)
        now = self._clock()
        age = now - flight.started
        learned = self._learned.setdefault(flight.command, _Duration())
        if finished:
            if not isinstance(outcome, JobFailedError):
                learned.ended_at(age)
            self._flights.remove(flight)
            self._replan(flight.command)
            return (flight.tag, flight.jobid, flight.command, outcome, age)
        flight.due = now + self._schedule.gap(flight.step)
        if flight.polls == 1 and learned.upper is not None:
            learned.pending_at(age)
            if learned.upper is not None:
                # A probe that came too early: next look at the age jobs are known to end by.
                flight.due = max(flight.due if flight.started + learned.upper <= now else 0,
                                 flight.started + learned.upper)
            flight.probing = False
            self._replan(flight.command)
        return None

    def _plan_first(self, flight, probing_taken):
        """Set when ``flight`` (not polled yet) is first due; returns whether it is the one probing."""
        learned = self._learned.get(flight.command)
        if learned is None or learned.upper is None:
            return False
        probe = None if probing_taken else learned.probe()
        flight.probing = probe is not None
        flight.due = flight.started + max(self._schedule.first, learned.upper if probe is None else probe)
        return flight.probing

    def _replan(self, command):
        fresh = [f for f in self._flights if f.command == command and f.polls == 0]
        taken = any(f.probing for f in self._flights if f.command == command and f.polls > 0)
        for flight in sorted(fresh, key=lambda f: f.started):
            taken = self._plan_first(flight, taken) or taken

    def _due(self):
        """The jobs to poll now, oldest first. While no job of a command has ended, only its scouts are polled."""
        now = self._clock()
        due = []
        oldest = {}
        waiting = {}
        for flight in sorted(self._flights, key=lambda f: f.started):
            learned = self._learned.get(flight.command)
            if learned is None or learned.upper is None:
                first = oldest.setdefault(flight.command, flight)
                rank = waiting[flight.command] = waiting.get(flight.command, -1) + 1
                if rank > first.polls // self.SCOUT_POLLS:
                    flight.due = max(flight.due, first.due)
                    continue
                if flight is not first and flight.step == 0:
                    flight.step = max(0, first.step - 1)
            if flight.due <= now:
                due.append(flight)
        return due
