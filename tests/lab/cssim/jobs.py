"""Async jobs: submit, run begin/complete hooks at their (persisted, wall-clock) times, answer queries.

A job record lives in state["jobs"], so a job submitted before a restart finishes correctly after it:
``starts`` and ``due`` are epoch seconds. Jobs on the same instance run one after the other, like
CloudStack's per-object job queue. ``due`` None means the job never finishes (job_hang fault).
"""

import sys
import time
import traceback
import uuid

from . import errors, lifecycle, maintenance
from .registry import COMMANDS
from .world import fmt_date

DEFAULT_DURATIONS = {
    "startSystemVm": 2.0, "stopSystemVm": 1.5, "rebootSystemVm": 2.0, "destroySystemVm": 2.0, "migrateSystemVm": 2.0,
    "rebootRouter": 3.0,
    # not commands: timings of things the management server does on its own (see lifecycle.py)
    "upgradeRouterTemplate": 4.0,  # each router reboot job upgradeRouterTemplate submits
    "templateDownload": 5.0,       # a registered template's download in each zone
    "systemVmRecreate": 3.0,       # destroyed SSVM/CPVM -> its replacement appears (then boots for startSystemVm)
    maintenance.MIGRATION_KEY: maintenance.DEFAULT_MIGRATION_SECONDS,  # each VM of a host maintenance drain
}
FALLBACK_DURATION = 1.0

# The waits of a system VM upgrade made short, for tests that check where an upgrade ends rather than how it waits
# (those keep DEFAULT_DURATIONS): the lab's whole upgrade takes about 25 s instead of 60 s. Kept across a
# management server restart, like every duration; control.reset() brings the defaults back.
QUICK_UPGRADE_DURATIONS = {
    "templateDownload": 1.5, "destroySystemVm": 0.5, "systemVmRecreate": 1.0, "startSystemVm": 0.5,
    "stopSystemVm": 0.5, "rebootSystemVm": 0.5, "upgradeRouterTemplate": 1.0, "rebootRouter": 1.0,
}


class JobManager:
    def __init__(self, sim):
        self.sim = sim
        self._index = None  # (jobs dict, pending_for map) while no job was added or finished
        self._contexts = {}

    @property
    def world(self):
        return self.sim.world

    @property
    def jobs(self):
        return self.world.state["jobs"]

    def duration(self, command):
        configured = self.world.state.get("job_durations", {})
        if command in configured:
            return float(configured[command])
        return DEFAULT_DURATIONS.get(command, FALLBACK_DURATION)

    def durations(self):
        names = set(DEFAULT_DURATIONS) | set(self.world.state.get("job_durations", {}))
        names |= {name for name, cmd in COMMANDS.items() if cmd.is_async}
        return {name: self.duration(name) for name in sorted(names)}

    def set_durations(self, mapping):
        store = self.world.state.setdefault("job_durations", {})
        for name, seconds in mapping.items():
            seconds = float(seconds)
            if seconds < 0:
                raise ValueError("duration of %s must not be negative" % name)
            store[name] = seconds

    def pending_for(self, instance_id):
        """The oldest unfinished job on ``instance_id``, or None."""
        return self._pending_index().get(instance_id)

    def _pending_index(self):
        """instance id -> its oldest unfinished job, rebuilt when a job was added, finished or the state replaced
        (list answers ask once per object)."""
        jobs = self.jobs
        if self._index is None or self._index[0] is not jobs:
            index = {}
            for job in jobs.values():
                if job["status"] == 0:
                    found = index.get(job["instanceid"])
                    if found is None or job["created"] < found["created"]:
                        index[job["instanceid"]] = job
            self._index = (jobs, index)
        return self._index[1]

    def submit(self, ctx, instance_type, instance_id, args=None, command=None, duration_key=None, faults=None,
               accountid=None):
        """Queue a job. ``command`` (whose hooks run it) defaults to the caller's; ``duration_key`` to the
        command; ``faults`` (job_fail/job_hang that apply) to the faults fired on the call."""
        command = command or ctx.command
        now = time.time()
        queue = [j for j in self.jobs.values() if j["status"] == 0 and j["instanceid"] == instance_id]
        hung_ahead = any(j["due"] is None for j in queue)
        starts = max([now] + [j["due"] for j in queue if j["due"] is not None])
        faults = ctx.fired if faults is None else faults
        fault_fail = next((f for f in faults if f["kind"] == "job_fail"), None)
        fault_hang = next((f for f in faults if f["kind"] == "job_hang"), None)
        job = {
            "jobid": str(uuid.uuid4()),
            "cmd": command,
            "cmdclass": ctx.contract.java_class(command),
            "instancetype": instance_type,
            "instanceid": instance_id,
            "created": now,
            "starts": None if hung_ahead else starts,
            "due": None if (hung_ahead or fault_hang) else starts + self.duration(duration_key or command),
            "begun": False,
            "status": 0,
            "resultcode": 0,
            "result": None,
            "completed": None,
            "args": args or {},
            "accountid": accountid or ctx.caller["accountid"],
            "userid": ctx.caller["userid"],
            "fail": None,
        }
        if fault_fail:
            job["fail"] = {
                "errorcode": int(fault_fail.get("errorcode", errors.INTERNAL_ERROR)),
                "errortext": fault_fail.get("errortext") or "Job failed (failure injected by the lab)",
            }
        self.jobs[job["jobid"]] = job
        self._index = None
        self.tick(now)
        return job["jobid"]

    def tick(self, now=None):
        """Start and finish every job whose time has come. Call with the world lock held."""
        now = time.time() if now is None else now
        self._contexts = {}
        pending = sorted((j for j in self.jobs.values() if j["status"] == 0), key=lambda j: j["created"])
        for job in pending:
            if job["starts"] is None:
                continue
            try:
                self._step(job, now)
            except errors.ApiError as exc:  # e.g. the job's VM was destroyed while the job waited in the queue
                self._fail(job, exc.errorcode, exc.errortext, now)
            except Exception as exc:  # a simulator bug: fail the job visibly, keep the other jobs going
                traceback.print_exc(file=sys.stderr)
                self._fail(job, errors.INTERNAL_ERROR, "cssim internal error: %s" % exc, now)
        # jobs queued behind a hung one stay unstarted (starts None) as CloudStack's queue would
        lifecycle.tick(self.sim, now)
        maintenance.tick(self.sim, now)

    def _step(self, job, now):
        if not job["begun"] and now >= job["starts"]:
            self._hook(job, "begin")
            job["begun"] = True
        if job["begun"] and job["due"] is not None and now >= job["due"]:
            self._finish(job, now)
        elif job["begun"] and job["due"] is not None:
            self._progress(job, now)

    def _progress(self, job, now):
        """``progress(ctx, job, fraction)`` hooks move an entity through intermediate states."""
        cmd = COMMANDS.get(job["cmd"])
        hook = getattr(cmd, "progress", None) if cmd else None
        if hook:
            span = max(job["due"] - job["starts"], 1e-9)
            hook(self._context(job["cmd"]), job, min(1.0, (now - job["starts"]) / span))

    def _hook(self, job, name):
        cmd = COMMANDS.get(job["cmd"])
        hook = getattr(cmd, name, None) if cmd else None
        if hook:
            hook(self._context(job["cmd"]), job)

    def _context(self, command):
        """One handler context per command and tick (hooks keep nothing in it)."""
        if command not in self._contexts:
            self._contexts[command] = self.sim.context(command)
        return self._contexts[command]

    def _finish(self, job, now):
        cmd = COMMANDS[job["cmd"]]
        ctx = self._context(job["cmd"])
        if job["fail"]:
            if cmd.revert:
                cmd.revert(ctx, job)
            self._fail(job, job["fail"]["errorcode"], job["fail"]["errortext"], now)
            return
        try:
            obj = cmd.complete(ctx, job)
            name = ctx.contract.response_object(job["cmd"])
            shaped = self.sim.shape(job["cmd"], obj)
            # a SuccessResponse is the job result itself ({"success": true}), not wrapped in its object name
            job["result"] = shaped if name == "success" else {name: shaped}
            job["status"] = 1
            self._index = None
            job["resultcode"] = 0
            job["completed"] = now
        except errors.ApiError as exc:
            if cmd.revert:
                cmd.revert(ctx, job)
            self._fail(job, exc.errorcode, exc.errortext, now)
        except Exception as exc:  # a simulator bug: fail the job visibly
            traceback.print_exc(file=sys.stderr)
            self._fail(job, errors.INTERNAL_ERROR, "cssim internal error: %s" % exc, now)

    def _fail(self, job, errorcode, errortext, now):
        job["status"] = 2
        self._index = None
        # ApiAsyncJobDispatcher always stores INTERNAL_ERROR as the job's result code
        job["resultcode"] = errors.INTERNAL_ERROR
        job["result"] = {"errorcode": errorcode, "errortext": errortext}
        job["completed"] = now

    def response(self, ctx, job):
        """queryAsyncJobResult body (fields directly under the response name)."""
        root = ctx.world.by_name("domain", "ROOT")
        account = ctx.world.get("account", job["accountid"])
        out = {
            "accountid": job["accountid"],
            "account": account["name"] if account else None,
            "domainid": root["id"],
            "domainpath": root["path"],
            "userid": job["userid"],
            "cmd": job["cmdclass"],
            "jobstatus": job["status"],
            "jobprocstatus": 0,
            "jobresultcode": job["resultcode"],
            "jobinstancetype": job["instancetype"],
            "jobinstanceid": job["instanceid"],
            "created": fmt_date(job["created"]),
            "jobid": job["jobid"],
            "managementserverid": ctx.ms_id,
        }
        if job["status"] != 0:
            out["jobresulttype"] = "object"
            out["jobresult"] = job["result"]
            out["completed"] = fmt_date(job["completed"])
        return {k: v for k, v in out.items() if v is not None}
