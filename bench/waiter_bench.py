"""Job waiter benchmark: how soon after a job finishes does the waiter return, and how many polls does it make,
beside a fixed 2-second poll loop (what the existing CloudStack collection does).

Runs a private simulator on 127.0.0.1 seeded with enough system VMs that every job has its own VM, submits
rebootSystemVm jobs whose durations are spread evenly on a log scale from 0.1 s to 30 s, and waits for each job
in its own thread, once with the collection's waiter and once with the fixed loop, at the same time.

    .venv/bin/python bench/waiter_bench.py [--jobs 60]
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, ".build", "collections"))  # the symlink `make setup` creates
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

from ansible_collections.csops.cloudstack.plugins.module_utils._api.client import CloudStackClient  # noqa: E402
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline  # noqa: E402
from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection  # noqa: E402
from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402
from cssim.control import LabControl  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402

COMMAND = "rebootSystemVm"


def bench_topology(path, vms):
    with open(os.path.join(REPO, "tests", "lab", "topology.yml")) as handle:
        topo = yaml.safe_load(handle)
    topo["systemvms"] = [dict(name="s-%d-VM" % (100 + i), systemvmtype="secondarystoragevm", zone="lab-zone2",
                              host="kvm3", linklocalip="169.254.%d.%d" % (30 + i // 200, 10 + i % 200),
                              template=topo["templates"][0]["name"]) for i in range(vms)]
    with open(path, "w") as handle:
        yaml.safe_dump(topo, handle)


def fixed_loop(client, jobid, timeout):
    """The 2-second loop: poll at once, then every 2 s until the job is done."""
    polls = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.query_job(jobid)
        polls += 1
        if int(job.get("jobstatus", 0)) != 0:
            return polls
        time.sleep(2)
    raise RuntimeError("job %s timed out" % jobid)


def collection_waiter(client, jobid, timeout):
    polls = []
    client.waiter.job(jobid, COMMAND, Deadline(timeout), progress=lambda job, n: polls.append(n))
    return len(polls)


def run(jobs):
    durations = [0.1 * (300 ** (i / (jobs - 1))) for i in range(jobs)]
    with tempfile.TemporaryDirectory() as tmp:
        topo = os.path.join(tmp, "topology.yml")
        bench_topology(topo, 2 * jobs)
        sim = PrivateSimulator(topology=topo)
        try:
            control = LabControl(sim.control_url)
            conn = Connection(sim.endpoint, DEFAULT_API_KEY, DEFAULT_SECRET_KEY, 10, "get", True, "cloudstack")
            client = CloudStackClient(conn)
            vms = [vm["id"] for vm in client.list("listSystemVms")
                   if vm["name"].startswith("s-") and int(vm["name"].split("-")[1]) >= 100]
            results = {"waiter": [], "fixed": []}
            threads = []
            lock = threading.Lock()

            def wait_one(strategy, jobid, duration, finishes_at):
                own = CloudStackClient(conn)
                polls = (collection_waiter if strategy == "waiter" else fixed_loop)(own, jobid, 120)
                seen = time.monotonic()
                with lock:
                    results[strategy].append((duration, seen - finishes_at, polls))

            index = 0
            for duration in durations:
                for strategy in ("waiter", "fixed"):
                    control.set_job_durations({COMMAND: duration})
                    submitted = time.monotonic()
                    jobid = client.submit(COMMAND, {"id": vms[index]})["jobid"]
                    index += 1
                    thread = threading.Thread(target=wait_one, args=(strategy, jobid, duration, submitted + duration))
                    thread.start()
                    threads.append(thread)
            for thread in threads:
                thread.join()
        finally:
            sim.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    args = parser.parse_args()
    results = run(args.jobs)
    print("jobs: %d per strategy, durations 0.1 s to 30 s, log-spaced" % args.jobs)
    print("%-42s %14s %14s %12s %14s" % ("strategy", "median delay", "p90 delay", "polls/job", "polls, >=20s"))
    for name, label in (("waiter", "collection waiter (0.15s x1.5, 10s cap)"), ("fixed", "fixed 2-second loop")):
        rows = results[name]
        delays = sorted(r[1] for r in rows)
        polls = [r[2] for r in rows]
        long_polls = [r[2] for r in rows if r[0] >= 20]
        print("%-42s %13.3fs %13.3fs %12.1f %14.1f" % (
            label, statistics.median(delays), delays[int(len(delays) * 0.9)], statistics.mean(polls),
            statistics.mean(long_polls) if long_polls else float("nan")))


if __name__ == "__main__":
    main()
