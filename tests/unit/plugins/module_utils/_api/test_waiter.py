"""The job waiter's timing logic, on a fake clock.

The fake clock stands in for time only: it lets these tests prove the deadline and the schedule exactly, which a
real clock cannot. The waiter against real jobs of the simulator is tested in tests/integration/test_api_core.py.
"""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import JobFailedError, JobTimeoutError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import JobWaiter, PollSchedule


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


def job_finishing_at(fake, finish_at, result=None, status=1):
    calls = []

    def query(jobid, remaining):
        calls.append((fake.now, remaining))
        if fake.now >= finish_at:
            return {"jobid": jobid, "jobstatus": status, "jobresultcode": 0, "jobresult": result or {"ok": True}}
        return {"jobid": jobid, "jobstatus": 0}

    return query, calls


def test_fast_job_is_seen_on_the_first_poll():
    fake = FakeTime()
    query, calls = job_finishing_at(fake, 1000.0, {"systemvm": {"id": "x"}})
    waiter = JobWaiter(query, clock=fake.clock, sleep=fake.sleep)
    assert waiter.wait("j1", "stopSystemVm", 60) == {"systemvm": {"id": "x"}}
    assert len(calls) == 1
    assert fake.sleeps == []


def test_intervals_grow_to_the_cap():
    schedule = PollSchedule(first=0.1, factor=2, cap=1.0)
    gen = schedule.intervals()
    assert [round(next(gen), 3) for _step in range(7)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]


def test_never_waits_past_the_timeout_when_the_job_never_finishes():
    fake = FakeTime()
    query, calls = job_finishing_at(fake, float("inf"))
    waiter = JobWaiter(query, clock=fake.clock, sleep=fake.sleep)
    with pytest.raises(JobTimeoutError) as info:
        waiter.wait("job-42", "rebootSystemVm", 12)
    assert fake.now - 1000.0 == pytest.approx(12)
    assert sum(fake.sleeps) == pytest.approx(12)
    assert "rebootSystemVm job job-42 did not finish within 12s" in str(info.value)
    assert info.value.jobid == "job-42" and info.value.polls == len(calls)
    # every poll's HTTP timeout is bounded by what is left of the deadline
    for at, remaining in calls:
        assert at + remaining == pytest.approx(1012)


def test_long_job_polls_fewer_times_than_a_fixed_two_second_loop():
    fake = FakeTime()
    query, calls = job_finishing_at(fake, 1030.0)
    JobWaiter(query, clock=fake.clock, sleep=fake.sleep).wait("j", "c", 600)
    fixed_loop_polls = 30 // 2 + 1  # at 0, 2, 4, ... 30 s
    assert len(calls) < fixed_loop_polls
    # and it notices the end within one capped interval
    assert fake.now - 1030.0 <= 10.0


def test_failed_job_raises_with_the_cloudstack_error():
    fake = FakeTime()
    query, _calls = job_finishing_at(fake, 1000.3, {"errorcode": 530, "errortext": "Unable to stop s-1-VM"}, status=2)
    with pytest.raises(JobFailedError) as info:
        JobWaiter(query, clock=fake.clock, sleep=fake.sleep).wait("j9", "stopSystemVm", 60)
    error = info.value
    assert error.errorcode == 530 and error.jobid == "j9"
    assert str(error) == "stopSystemVm job j9 failed: Unable to stop s-1-VM (errorcode 530)"


def test_cancelled_job_is_a_failure():
    fake = FakeTime()
    query, _calls = job_finishing_at(fake, 1000.0, {"errorcode": 530, "errortext": "cancelled"}, status=3)
    with pytest.raises(JobFailedError, match="was cancelled"):
        JobWaiter(query, clock=fake.clock, sleep=fake.sleep).wait("j", "c", 5)


def test_progress_callback_sees_every_poll():
    fake = FakeTime()
    query, calls = job_finishing_at(fake, 1001.0)
    seen = []
    JobWaiter(query, clock=fake.clock, sleep=fake.sleep).wait("j", "c", 60, progress=lambda job, n: seen.append(n))
    assert seen == list(range(1, len(calls) + 1))


@pytest.mark.parametrize("first,factor,cap", [(0, 1.5, 5), (0.1, 0.9, 5), (1, 1.5, 0.5)])
def test_bad_schedules_are_rejected(first, factor, cap):
    with pytest.raises(ValueError):
        PollSchedule(first, factor, cap)
