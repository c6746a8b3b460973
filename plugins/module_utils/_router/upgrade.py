# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where router upgrade waves are run: the backend of ``router_upgrade`` (``waves.py`` plans them).

Inside a wave ``concurrency`` routers are upgrading at all times: as soon as one router's job ends the next
router of the wave is started (a sliding pool, not batches waited for as a whole). The submissions go out a
few at a time from worker threads, and the jobs in flight are polled together by the waiter's JobPool. When
a wave's jobs have ended, its routers are read back until each is Running and no longer requires an upgrade.
The first bad wave stops the run. One Deadline (``wait_timeout``) bounds the job pool and the checks.

A run can be stopped at any point and run again: each run only selects routers that CloudStack still says
require an upgrade, so routers already upgraded are never touched again, and a failed run's result says where
it stopped (``progress``).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from .._api.backend import ApiBackend
from .._api.client import CloudStackClient
from .._api.errors import CloudStackError, DeadlineError, TransportError
from .._api.lookup import find, location_filters
from .._api.waiter import Deadline
from .waves import check_options, plan_waves, router_problem, settled

COMMAND = "upgradeRouterTemplate"
# Upgrade requests sent at the same time. A few are enough to hide the round trips; more only crowd the
# management server.
SUBMITTERS = 4
# Longest wait, within wait_timeout, for a wave's routers to show Running and upgraded after their jobs ended.
VERIFY_SECONDS = 60


def _brief(router):
    return dict(id=router["id"], name=router.get("name"))


class _Submitters:
    """Sends upgrade requests from up to ``size`` threads, each with its own client, so no counter is shared
    between threads; ``close`` adds the workers' counts to the task's client."""

    def __init__(self, client, size):
        self._client = client
        self._size = size
        self._local = threading.local()
        self._workers = []
        self._lock = threading.Lock()
        self._executor = None

    def _worker(self):
        worker = getattr(self._local, "client", None)
        if worker is None:
            worker = CloudStackClient(self._client.connection, retry=self._client.retry)
            self._local.client = worker
            with self._lock:
                self._workers.append(worker)
        return worker

    def _start(self, router, deadline):
        try:
            answer = self._worker().request(COMMAND, {"id": router["id"]}, deadline) or {}
        except CloudStackError as error:
            return error
        return [item["jobid"] for item in answer.get("asyncjobs") or [] if item.get("jobid")]

    def start(self, routers, deadline):
        """``[(router, outcome)]`` in the order of ``routers``; ``outcome`` is the list of job ids CloudStack
        started for the router (empty when it saw nothing to do) or the CloudStackError its request raised."""
        if len(routers) == 1 or self._size == 1:
            return [(router, self._start(router, deadline)) for router in routers]
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self._size)
        futures = [self._executor.submit(self._start, router, deadline) for router in routers]
        return [(router, future.result()) for router, future in zip(routers, futures)]

    def close(self):
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for worker in self._workers:
            self._client.requests_sent += worker.requests_sent
            self._client.writes_applied += worker.writes_applied
            self._client.writes_uncertain += worker.writes_uncertain
        self._workers = []


class RouterUpgrade(ApiBackend):
    """The router_upgrade task. ``run()`` returns the module result; a failure raises CloudStackError whose
    ``result`` is the same dict as far as the run got (``changed`` true once an upgrade was started)."""

    def __init__(self, client, params, check_mode, diff, deadline, submitters=SUBMITTERS):
        super().__init__(client, params, check_mode, diff, deadline)
        self.submitters = _Submitters(client, max(1, min(submitters, params["concurrency"] or 1)))
        self.filters = None
        self.plan = []
        self.waves = []
        self.skipped = []
        self.upgraded = []
        self.failures = []
        self.unknown = []
        self.jobs = []
        self.jobs_of = {}
        self.job_routers = {}
        self.attempted = set()
        self.stopped_at = None

    # -- the task ---------------------------------------------------------------------------------------

    def run(self):
        try:
            try:
                return self._run()
            finally:
                self.submitters.close()
        except CloudStackError as error:
            error.args = ("upgrade routers: %s" % error.message,)
            if error.result is None:
                error.result = self.result()
            raise

    def _run(self):
        params = self.params
        check_options(params["wave_size"], params["first_wave_size"], params["concurrency"], params["group_by"])
        filters = location_filters(self.client, params, ("zone", "pod", "cluster"), self.deadline)
        filters.update(account=params["account"], domainid=params["domain_id"])
        self.filters = filters
        needing = [r for r in self.list_routers().values() if r.get("requiresupgrade")]
        self.skipped = sorted((dict(_brief(r), state=r.get("state")) for r in needing if r.get("state") != "Running"),
                              key=lambda r: r["name"] or "")
        todo = [r for r in needing if r.get("state") == "Running"]
        self.plan = plan_waves(todo, params["wave_size"], params["first_wave_size"], params["group_by"])
        self.waves = [dict(number=i + 1, routers=[r.get("name") for r in wave], status="planned")
                      for i, wave in enumerate(self.plan)]
        if self.check_mode or not self.plan:
            return self.result()
        if not params["wait"]:
            self._start_only(self.plan[0])
            return self.result()
        pool = self.client.waiter.pool(self.deadline)
        for number, wave in enumerate(self.plan, 1):
            bad, not_started = self._run_wave(wave, pool)
            if bad or not_started:
                self.waves[number - 1]["status"] = "failed"
                self.stopped_at = number
                raise CloudStackError(self._stop_message(number, bad, not_started), COMMAND, self.result())
            self.waves[number - 1]["status"] = "upgraded"
        return self.result()

    def result(self):
        """The module result as far as the run got."""
        left = [_brief(r) for wave in self.plan for r in wave if r["id"] not in self.attempted]
        done = sum(1 for wave in self.waves if wave["status"] == "upgraded")
        result = dict(
            changed=bool(self.plan) if self.check_mode else bool(self.jobs or self.unknown),
            waves=self.waves, upgraded=self.upgraded, failures=self.failures, unknown=self.unknown, left=left,
            skipped=self.skipped, jobs=self.jobs,
            progress=dict(waves=len(self.plan), waves_done=done, stopped_at=self.stopped_at,
                          upgraded=len(self.upgraded), failed=len(self.failures), unknown=len(self.unknown),
                          left=len(left)),
        )
        if self.diff:
            result["diff"] = self._diff()
        return result

    def _diff(self):
        """Before: every planned router with its version. After: an upgraded router with the version it reports
        now; in check mode every planned router as no longer requiring an upgrade (its new version is known only
        once it runs the new template); a router that was not upgraded as it was."""
        before, after = {}, {}
        upgraded = dict((r.get("name"), r.get("version_after")) for r in self.upgraded)
        for router in (r for wave in self.plan for r in wave):
            name = router.get("name")
            before[name] = dict(version=router.get("version"), requiresupgrade=True)
            if name in upgraded:
                after[name] = dict(version=upgraded[name], requiresupgrade=False)
            elif self.check_mode:
                after[name] = dict(requiresupgrade=False)
            else:
                after[name] = dict(before[name])
        return dict(before=before, after=after)

    def _stop_message(self, number, bad, not_started):
        if bad:
            what = "failed: %s" % "; ".join("%s: %s" % (b["name"], b["reason"]) for b in bad)
        else:
            what = "stopped: wait_timeout (%ss) ran out before %d of its routers were started" % (
                self.params["wait_timeout"], not_started)
        counts = "%d upgraded, %d failed" % (len(self.upgraded), len(self.failures))
        if self.unknown:
            counts += ", %d unknown" % len(self.unknown)
        left = self.result()["progress"]["left"]
        return "wave %d of %d %s (%s, %d left)" % (number, len(self.plan), what, counts, left)

    # -- CloudStack side --------------------------------------------------------------------------------

    def list_routers(self, only=None, deadline=None):
        """``{id: router}`` for the routers in scope (of ``only``, a list of routers, when the task names its
        routers by ``ids``)."""
        deadline = deadline or self.deadline
        ids = self.params["ids"]
        if ids:
            wanted = [r["id"] for r in only] if only is not None else ids
            routers = []
            for router_id in wanted:
                routers.extend(find(self.client, "router", deadline=deadline, id=router_id, **self.filters))
        else:
            routers = find(self.client, "router", deadline=deadline, **self.filters)
        return {r["id"]: r for r in routers}

    def _record_start(self, router, outcome):
        """Book one submission; returns its job ids, or None when the router was not started (or may have been,
        without an answer) and the wave must stop."""
        if isinstance(outcome, DeadlineError):
            return None
        self.attempted.add(router["id"])
        if isinstance(outcome, TransportError) and outcome.maybe_applied:
            self.unknown.append(dict(_brief(router), reason=outcome.message))
            return None
        if isinstance(outcome, CloudStackError):
            self.failures.append(dict(_brief(router), reason=outcome.message, jobid=None))
            return None
        self.jobs.extend(outcome)
        self.jobs_of[router["id"]] = outcome
        return outcome

    def _start_only(self, wave):
        """wait=false: start the upgrades of ``wave`` and return; raises when one could not be started."""
        bad = []
        for router, outcome in self.submitters.start(wave, self.deadline):
            if self._record_start(router, outcome) is None:
                bad.append(router)
        self.waves[0]["status"] = "started" if not bad else "failed"
        if bad:
            self.stopped_at = 1
            raise CloudStackError(self._stop_message(1, self.failures + self.unknown, 0), COMMAND, self.result())

    def _run_wave(self, wave, pool):
        """Upgrade one wave through ``pool``, then check it. Returns ``(bad, not_started)``: the failures and
        unknowns of this wave, and how many routers of the wave were not started because time ran out."""
        concurrency = self.params["concurrency"]
        failures_before, unknown_before = len(self.failures), len(self.unknown)
        pending = list(wave)
        flying = {}   # router id -> jobs of the router still running
        ended = []    # routers whose jobs all succeeded (or that needed no job)
        failed = set()
        by_id = {r["id"]: r for r in wave}
        stop = False
        while True:
            if pending and not stop and not self.deadline.expired():
                batch, pending = pending[:concurrency - len(flying)], pending[concurrency - len(flying):]
                for router, outcome in self.submitters.start(batch, self.deadline):
                    jobs = self._record_start(router, outcome)
                    if jobs is None:
                        stop = True
                        if isinstance(outcome, DeadlineError):
                            pending.insert(0, router)
                    elif jobs:
                        flying[router["id"]] = len(jobs)
                        for jobid in jobs:
                            pool.add(jobid, COMMAND, tag=router["id"])
                    else:
                        ended.append(router)
            if not flying:
                break
            for tag, jobid, _command, outcome, _seconds in pool.next_finished():
                router = by_id[tag]
                flying[tag] -= 1
                if isinstance(outcome, dict) and isinstance(outcome.get("router"), dict):
                    self.job_routers[tag] = outcome["router"]
                if isinstance(outcome, CloudStackError):
                    stop = True
                    if tag not in failed:
                        failed.add(tag)
                        self.failures.append(dict(_brief(router), reason=outcome.message, jobid=jobid))
                if not flying[tag]:
                    del flying[tag]
                    if tag not in failed:
                        ended.append(router)
        if ended:
            self._verify(ended)
        bad = self.failures[failures_before:] + self.unknown[unknown_before:]
        not_started = 0 if bad else len(pending)
        return bad, not_started

    def _verify(self, routers):
        """Observe ``routers`` until each is right or can no longer become right (within VERIFY_SECONDS and the
        task's deadline); book each as upgraded or failed.

        The first observation is the router each upgrade job returned (its state when the job ended); when that
        does not show every router right, the routers are read back with listRouters."""
        check = Deadline(self.deadline.clip(VERIFY_SECONDS))
        from_jobs = {r["id"]: self.job_routers.get(r["id"]) for r in routers}
        reads = []

        def fetch():
            reads.append(None)
            if len(reads) == 1 and all(from_jobs.values()):
                return from_jobs
            return self.list_routers(only=routers, deadline=check)

        try:
            current, _finished = self.client.waiter.until(
                fetch, lambda now: all(settled(now.get(r["id"])) for r in routers), check)
        except DeadlineError as error:
            for router in routers:
                self.failures.append(dict(_brief(router), reason="its job ended but it was not checked: %s"
                                          % error.message, jobid=self._first_job(router)))
            return
        for router in routers:
            now = current.get(router["id"])
            problem = router_problem(now)
            if problem:
                self.failures.append(dict(_brief(router), reason=problem, jobid=self._first_job(router)))
            else:
                self.upgraded.append(dict(_brief(router), version_before=router.get("version"),
                                          version_after=now.get("version")))

    def _first_job(self, router):
        jobs = self.jobs_of.get(router["id"])
        return jobs[0] if jobs else None
