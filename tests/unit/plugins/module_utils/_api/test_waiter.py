"""The one waiter's timing logic (Deadline, Waiter.job, Waiter.until, JobPool), on a fake clock.

The fake clock stands in for time only: it lets these tests prove the deadline and the schedule exactly, which a
real clock cannot. The waiter against real jobs of the simulator is tested in tests/integration/test_api_core.py.
"""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import JobFailedError, JobTimeoutError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import (
    Deadline, JobPool, PollSchedule, Waiter)


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def deadline(self, seconds):
        return Deadline(seconds, clock=self.clock)


def jobs_finishing_at(fake, finish, status=1, cost=0.0):
    """A query function: job ``j`` ends at fake time ``finish[j]``; each poll takes ``cost`` seconds."""
    calls = []

    def query(jobid, deadline):
        calls.append((jobid, fake.now, deadline.remaining()))
        fake.now += cost
        if fake.now >= finish[jobid]:
            return {"jobid": jobid, "jobstatus": status, "jobresultcode": 0, "jobresult": {"job": jobid}}
        return {"jobid": jobid, "jobstatus": 0}

    return query, calls


def test_deadline_counts_down_and_clips():
    fake = FakeTime()
    deadline = fake.deadline(10)
    assert deadline.remaining() == 10 and not deadline.expired()
    fake.now += 7.5
    assert deadline.clip(5) == 2.5 and deadline.clip(1) == 1
    assert deadline.elapsed() == 7.5
    fake.now += 3
    assert deadline.remaining() == 0 and deadline.expired()


def test_a_deadline_short_of_another_ends_before_it_on_the_same_clock():
    fake = FakeTime()
    whole = fake.deadline(100)
    fake.now += 10.05
    part = whole.short_of(20)
    assert part.seconds == 69.9  # 89.95 left, less 20, rounded down to a tenth
    fake.now += 69.9
    assert part.expired() and not whole.expired()
    assert whole.remaining() == pytest.approx(20.05)
    assert whole.short_of(500).seconds == 0.0 and whole.short_of(500).expired()


def test_fast_job_is_seen_on_the_first_poll():
    fake = FakeTime()
    query, calls = jobs_finishing_at(fake, {"j1": 1000.0})
    waiter = Waiter(query, sleep=fake.sleep)
    assert waiter.job("j1", "stopSystemVm", fake.deadline(60)) == {"job": "j1"}
    assert len(calls) == 1 and fake.sleeps == []


def test_gaps_grow_to_the_cap():
    fake = FakeTime()
    query, calls = jobs_finishing_at(fake, {"j": 1000.0 + 100})
    Waiter(query, schedule=PollSchedule(first=0.15, factor=1.5, cap=10), sleep=fake.sleep).job(
        "j", "c", fake.deadline(600))
    assert fake.sleeps[:3] == pytest.approx([0.15, 0.225, 0.3375])
    assert max(fake.sleeps) == 10
    assert all(b >= a for a, b in zip(fake.sleeps, fake.sleeps[1:]))


def test_timeout_names_job_command_and_budget_and_never_oversleeps():
    fake = FakeTime()
    query, calls = jobs_finishing_at(fake, {"job-42": 1e9})
    with pytest.raises(JobTimeoutError) as info:
        Waiter(query, sleep=fake.sleep).job("job-42", "rebootSystemVm", fake.deadline(12))
    assert fake.now == pytest.approx(1012.0)
    text = str(info.value)
    assert "rebootSystemVm job job-42 did not finish within wait_timeout (12s" in text
    assert info.value.to_result()["jobid"] == "job-42"


def test_slow_polls_cannot_outlive_the_deadline():
    """Every poll takes 4 s: the deadline handed to each poll shrinks, and the wait ends at the budget."""
    fake = FakeTime()
    query, calls = jobs_finishing_at(fake, {"j": 1e9}, cost=4.0)
    with pytest.raises(JobTimeoutError):
        Waiter(query, sleep=fake.sleep).job("j", "c", fake.deadline(5))
    assert [round(remaining, 3) for _job, _at, remaining in calls] == [5.0, 0.85]
    assert fake.now <= 1000.0 + 5 + 4  # the last poll is itself bounded by what was left (0.85 s) in real use


def test_failed_and_cancelled_jobs_raise_with_cloudstack_text():
    fake = FakeTime()

    def query(jobid, deadline):
        return {"jobid": jobid, "jobstatus": 2, "jobresultcode": 530,
                "jobresult": {"errorcode": 530, "errortext": "Unable to stop s-1-VM"}}

    with pytest.raises(JobFailedError) as info:
        Waiter(query, sleep=fake.sleep).job("j9", "stopSystemVm", fake.deadline(60))
    assert info.value.errorcode == 530 and "Unable to stop s-1-VM" in str(info.value)
    assert "stopSystemVm job j9 failed" in str(info.value)


def test_progress_is_reported_after_every_poll():
    fake = FakeTime()
    query, _calls = jobs_finishing_at(fake, {"j": 1001.0})
    seen = []
    Waiter(query, sleep=fake.sleep).job("j", "c", fake.deadline(60), progress=lambda job, n: seen.append(n))
    assert seen == list(range(1, len(seen) + 1)) and len(seen) >= 3


def test_until_returns_at_once_when_already_right():
    fake = FakeTime()
    reads = []
    value, finished = Waiter(None, sleep=fake.sleep).until(lambda: reads.append(1) or "ready",
                                                           lambda v: v == "ready", fake.deadline(5))
    assert (value, finished) == ("ready", True) and len(reads) == 1 and fake.sleeps == []


def test_until_follows_the_schedule_it_is_given():
    fake = FakeTime()
    reads = []
    ready_at = fake.now + 20

    def fetch():
        reads.append(fake.now)
        return fake.now >= ready_at

    waiter = Waiter(None, sleep=fake.sleep)
    value, finished = waiter.until(fetch, bool, fake.deadline(60), PollSchedule(first=0.15, factor=1.5, cap=3.0))
    assert value is True and finished
    assert max(fake.sleeps) == 3.0  # the waiter's own schedule would have slept up to 10 s
    assert reads[-1] - ready_at < 3.0  # seen within one capped gap of being ready


def test_until_gives_up_at_the_deadline_with_the_last_value():
    fake = FakeTime()
    counter = iter(range(1000))
    value, finished = Waiter(None, sleep=fake.sleep).until(lambda: next(counter), lambda v: False, fake.deadline(3))
    assert not finished and value >= 3
    assert fake.now == pytest.approx(1003.0)


def test_pool_learns_job_length_and_polls_about_once_per_job():
    """Jobs that all take 3 s: after the first has been seen ending, the others are polled once each."""
    fake = FakeTime()
    finish = {}
    query, calls = jobs_finishing_at(fake, finish)
    pool = JobPool(query, fake.deadline(600), clock=fake.clock, sleep=fake.sleep)
    done = []
    todo = ["j%d" % n for n in range(40)]
    while todo or len(pool):
        while todo and len(pool) < 5:
            jobid = todo.pop(0)
            finish[jobid] = fake.now + 3.0
            pool.add(jobid, "upgradeRouterTemplate", tag=jobid)
        for tag, jobid, command, outcome, seconds in pool.next_finished():
            assert outcome == {"job": jobid} and command == "upgradeRouterTemplate"
            done.append(tag)
    assert sorted(done) == sorted("j%d" % n for n in range(40))
    # The first jobs are found on the schedule (a handful of polls each); a few probes cost one more poll each;
    # every other job is found ended by its first poll.
    assert len(calls) <= 40 + 15
    assert sum(1 for n in range(10, 40) if [c[0] for c in calls].count("j%d" % n) > 1) <= 3
    # 40 jobs, 5 at a time, 3 s each: 8 rounds, 24 s in an ideal world; detection adds little.
    assert fake.now - 1000.0 < 24 * 1.15


def test_a_hung_first_job_does_not_hold_back_the_others():
    fake = FakeTime()
    finish = {"hung": 1e9, "a": 1003.0, "b": 1003.0, "c": 1003.0}
    query, calls = jobs_finishing_at(fake, finish)
    pool = JobPool(query, fake.deadline(600), clock=fake.clock, sleep=fake.sleep)
    for jobid in ("hung", "a", "b", "c"):
        pool.add(jobid, "upgradeRouterTemplate", tag=jobid)
    ended = {}
    while len(ended) < 3:
        for tag, _jobid, _command, _outcome, _seconds in pool.next_finished():
            ended[tag] = fake.now - 1000.0
    assert set(ended) == {"a", "b", "c"}
    assert max(ended.values()) < 10, ended


def test_pool_reports_failures_and_times_out_the_rest():
    fake = FakeTime()
    finish = {"ok": 1001.0, "bad": 1001.0, "hung": 1e9}

    def query(jobid, deadline):
        if jobid == "bad":
            return {"jobid": jobid, "jobstatus": 2, "jobresult": {"errorcode": 530, "errortext": "boom"}}
        if fake.now >= finish[jobid]:
            return {"jobid": jobid, "jobstatus": 1, "jobresult": {}}
        return {"jobid": jobid, "jobstatus": 0}

    pool = JobPool(query, fake.deadline(10), clock=fake.clock, sleep=fake.sleep)
    for jobid in finish:
        pool.add(jobid, "upgradeRouterTemplate", tag=jobid)
    outcomes = {}
    while len(pool):
        for tag, _jobid, _command, outcome, _seconds in pool.next_finished():
            outcomes[tag] = outcome
    assert outcomes["ok"] == {}
    assert isinstance(outcomes["bad"], JobFailedError) and "boom" in str(outcomes["bad"])
    assert isinstance(outcomes["hung"], JobTimeoutError)
    assert fake.now == pytest.approx(1010.0)


def test_invalid_schedules_are_refused():
    for args in ((0, 1.5, 10), (0.1, 0.5, 10), (1, 1.5, 0.5)):
        with pytest.raises(ValueError):
            PollSchedule(*args)


def test_until_starts_no_read_once_the_deadline_has_run_out():
    fake = FakeTime()
    deadline = fake.deadline(2)

    def fetch():
        assert not deadline.expired(), "a read was started with no time left"
        return "pending"

    value, finished = Waiter(None, sleep=fake.sleep).until(fetch, lambda v: False, deadline)
    assert (value, finished) == ("pending", False)


def test_a_poll_cut_short_by_the_deadline_is_a_timeout_not_an_api_failure():
    from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import TransportError

    fake = FakeTime()

    def query(jobid, deadline):
        fake.now += deadline.remaining()  # the HTTP timeout was clipped to what was left, and it all went
        raise TransportError("queryAsyncJobResult failed: no answer within 0.004s", "queryAsyncJobResult")

    with pytest.raises(JobTimeoutError) as info:
        Waiter(query, sleep=fake.sleep).job("j7", "provisionCertificate", fake.deadline(2))
    assert "provisionCertificate job j7 did not finish within wait_timeout (2s" in str(info.value)
