# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolling maintenance procedure (playbooks/rolling_maintenance.yml) against a private simulator seeded with
bench/rolling_topology.yml: 4 clusters of 5 API-only hosts, 2 small VMs each.

    python bench/rolling_bench.py bench              # wall time vs ideal and vs CloudStack's sequential order
        [--vm-migration S] [--no-canary] [--task-costs]   # slower drains; no canary; the CPU of every task
    python bench/rolling_bench.py campaign --rounds 200 [--seed N]   # random faults, invariants after every run

The hosts have no inventory entry, so the run uses kvm_rolling_maintenance_not_in_inventory=api_only (the API
part only: maintenance, cancel, health gate). tests/campaign/test_rolling_campaign.py runs the campaign's
rounds from here.
"""

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

import cssim  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402

TOPOLOGY = os.path.join(REPO, "bench", "rolling_topology.yml")
PLAYBOOK = os.path.join(REPO, "playbooks", "rolling_maintenance.yml")
VENV_BIN = os.path.dirname(sys.executable)
INVENTORY = "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n" \
            "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
FAST = {"vmMigration": 0.05, "prepareHostForMaintenance": 0.2, "cancelHostMaintenance": 0.2}


# With --task-costs: loaded into ansible-playbook through PYTHONPATH, it wraps ansible-core's worker (one process per
# task run, forked from the controller) to append, per task run, the task's name, the worker's own CPU seconds and
# those of the processes it started (the module) to the file named by the environment. Measuring only.
TASK_COSTS_HOOK = """\
import os
import resource
import sys
import time


def _hook():
    from ansible.executor.process import worker

    run = worker.WorkerProcess._run

    def measured(self):
        cpu, kids = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            return run(self)
        finally:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            spent = after.ru_utime - kids.ru_utime + after.ru_stime - kids.ru_stime
            with open(os.environ["ROLLING_BENCH_TASK_COSTS"], "a") as handle:
                handle.write("%s\\t%.4f\\t%.4f\\n" % (self._task.get_name(), time.process_time() - cpu, spent))

    worker.WorkerProcess._run = measured


# only in ansible-playbook itself: the modules it starts inherit PYTHONPATH and must not pay for the hook
if os.path.basename(sys.argv[0]) == "ansible-playbook":
    _hook()
"""


def task_costs_env(workdir):
    """The environment that makes ansible-playbook record every task run's CPU (TASK_COSTS_HOOK) into a file."""
    hook_dir = os.path.join(workdir, "hook")
    os.makedirs(hook_dir, exist_ok=True)
    with open(os.path.join(hook_dir, "sitecustomize.py"), "w") as handle:
        handle.write(TASK_COSTS_HOOK)
    return {"PYTHONPATH": hook_dir, "ROLLING_BENCH_TASK_COSTS": os.path.join(workdir, "task-costs.tsv")}


def print_task_costs(path, hosts, most=12):
    """The tasks that cost the controller the most CPU, per host of the run."""
    totals = {}
    with open(path) as handle:
        for line in handle:
            name, own, module = line.rstrip("\n").split("\t")
            entry = totals.setdefault(name.split(" : ", 1)[-1], [0, 0.0, 0.0])
            entry[0] += 1
            entry[1] += float(own)
            entry[2] += float(module)
    runs = sum(entry[0] for entry in totals.values())
    worker = sum(entry[1] + entry[2] for entry in totals.values())
    module = sum(entry[2] for entry in totals.values())
    print("task runs: %d (%.1f per host); CPU of the workers: %.1f s (%.2f s per host), of which modules %.1f s"
          % (runs, runs / float(hosts), worker, worker / hosts, module))
    print("%-60s %5s %9s %9s" % ("task", "runs", "worker s", "module s"))
    for name, (count, own, spent) in sorted(totals.items(), key=lambda item: -(item[1][1] + item[1][2]))[:most]:
        print("%-60s %5d %9.2f %9.2f" % (name[:60], count, own, spent))


def run_playbook(sim, extra, workdir, timeout=900, kill_after=None, env_extra=None):
    """Run the playbook against ``sim``; returns (returncode, report dict or None, seconds, output). With
    ``kill_after`` the run is killed (SIGKILL, its whole process group) that many seconds after the first host
    went into maintenance, as a crashed controller would stop it."""
    inventory = os.path.join(workdir, "inventory.yml")
    with open(inventory, "w") as handle:
        handle.write(INVENTORY)
    report_file = os.path.join(workdir, "report.json")
    if os.path.exists(report_file):
        os.unlink(report_file)
    variables = {"kvm_rolling_maintenance_not_in_inventory": "api_only",
                 "kvm_rolling_maintenance_state_dir": os.path.join(workdir, "state"),
                 "kvm_rolling_maintenance_report_file": report_file,
                 "kvm_rolling_maintenance_up_delay": 1, "kvm_rolling_maintenance_gate_delay": 1,
                 "kvm_rolling_maintenance_gate_timeout": 10, "kvm_rolling_maintenance_restore_delay": 1,
                 "kvm_rolling_maintenance_maintenance_timeout": 8}
    variables.update(extra)
    env = dict(os.environ, CLOUDSTACK_ENDPOINT=sim.endpoint, CLOUDSTACK_KEY=cssim.DEFAULT_API_KEY,
               CLOUDSTACK_SECRET=cssim.DEFAULT_SECRET_KEY, ANSIBLE_NOCOLOR="1", ANSIBLE_FORKS="8",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
               ANSIBLE_RETRY_FILES_ENABLED="False", PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    env.update(env_extra or {})
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory, PLAYBOOK,
                                 "-e", json.dumps(variables)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                text=True, cwd=REPO, start_new_session=True)
        if kill_after is not None:
            _kill_when_entered(proc, variables["kvm_rolling_maintenance_state_dir"], kill_after, timeout)
        try:
            proc.wait(timeout)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out.seek(0)
        output = out.read()
    seconds = time.monotonic() - started
    report = None
    if os.path.exists(report_file):
        with open(report_file) as handle:
            report = json.load(handle)
    return proc.returncode, report, seconds, output


def _kill_when_entered(proc, state_dir, after, timeout):
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        names = os.listdir(state_dir) if os.path.isdir(state_dir) else []
        texts = []
        for name in names:
            try:
                with open(os.path.join(state_dir, name)) as handle:
                    texts.append(handle.read())
            except OSError:
                pass
        if any('"entering"' in text for text in texts):
            time.sleep(after)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            return
        time.sleep(0.05)


def _api(sim):
    from urllib.parse import urlencode
    import base64
    import hashlib
    import hmac
    import urllib.request

    def call(command, **params):
        params = dict(params, command=command, response="json", apikey=cssim.DEFAULT_API_KEY)
        query = "&".join("%s=%s" % (k, urllib.parse.quote(str(v), safe="")) for k, v in sorted(params.items()))
        digest = hmac.new(cssim.DEFAULT_SECRET_KEY.encode(), query.lower().encode(), hashlib.sha1).digest()
        url = sim.endpoint + "?" + urlencode(dict(params, signature=base64.b64encode(digest).decode()))
        with urllib.request.urlopen(url, timeout=30) as answer:
            return json.loads(answer.read())
    return call


def measure_host_work(sim, host_name):
    """Seconds one host's maintenance takes over the API alone (prepare, drain, cancel), and how many VMs it
    moved."""
    call = _api(sim)
    host = call("listHosts", name=host_name)["listhostsresponse"]["host"][0]
    vms = len(call("listVirtualMachines", hostid=host["id"], listall=True)["listvirtualmachinesresponse"]
              .get("virtualmachine", []))
    started = time.monotonic()
    call("prepareHostForMaintenance", id=host["id"])
    while call("listHosts", id=host["id"])["listhostsresponse"]["host"][0]["resourcestate"] != "Maintenance":
        time.sleep(0.02)
    job = call("cancelHostMaintenance", id=host["id"])["cancelhostmaintenanceresponse"]["jobid"]
    while call("queryAsyncJobResult", jobid=job)["queryasyncjobresultresponse"]["jobstatus"] == 0:
        time.sleep(0.02)
    return time.monotonic() - started, vms


def bench(args):
    durations = dict(FAST, vmMigration=args.vm_migration) if args.vm_migration is not None else FAST
    with PrivateSimulator(topology=TOPOLOGY) as sim, tempfile.TemporaryDirectory() as workdir:
        sim.control.set_job_durations(durations)
        per_host, measured_vms = measure_host_work(sim, "b4h5")
        sim.control.reset()
        sim.control.set_job_durations(durations)
        load_before = os.getloadavg()[0]
        costs = task_costs_env(workdir) if args.task_costs else None
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        code, report, wall, output = run_playbook(sim, {"kvm_rolling_maintenance_clusters": [
            "bench-c1", "bench-c2", "bench-c3", "bench-c4"], "kvm_rolling_maintenance_canary": args.canary,
            "kvm_rolling_maintenance_maintenance_timeout": max(8, int(10 * per_host))}, workdir, env_extra=costs)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        if code != 0 or not report or not report["ok"]:
            print(output[-4000:])
            raise SystemExit("the run failed")
        hosts, largest = len(report["hosts"]), 5
        ideal, sequential = largest * per_host, hosts * per_host
        # A host drained later in its cluster holds the VMs moved to it before: the work each cluster really had
        # is its hosts' jobs plus every migration of the run.
        step = durations["vmMigration"]
        fixed = max(0.0, per_host - measured_vms * step)
        moves = {}
        for host in report["hosts"]:
            moves[host["cluster"]] = moves.get(host["cluster"], 0) + len(host.get("vms_moved") or [])
        work = {cluster: largest * fixed + count * step for cluster, count in moves.items()}
        ideal_moved, sequential_moved = max(work.values()), sum(work.values())
        result = {"hosts": hosts, "per_host_work_s": round(per_host, 2), "wall_s": round(wall, 1),
                  "ideal_s": round(ideal, 1), "sequential_s": round(sequential, 1),
                  "ratio_to_ideal": round(wall / ideal, 2), "ratio_to_sequential": round(wall / sequential, 2),
                  "migrations_per_cluster": moves, "ideal_with_migrations_done_s": round(ideal_moved, 1),
                  "sequential_with_migrations_done_s": round(sequential_moved, 1),
                  "ratio_to_ideal_with_migrations_done": round(wall / ideal_moved, 2),
                  "overhead_per_host_in_chain_s": round((wall - ideal) / largest, 2),
                  "overhead_per_host_s": round((wall - ideal) / hosts, 2),
                  "controller_cpu_s": round(cpu, 1), "controller_cpu_per_host_s": round(cpu / hosts, 2),
                  "canary": args.canary, "load_average_before": round(load_before, 1), "cpus": os.cpu_count()}
        print(json.dumps(result, indent=1))
        if costs:
            print_task_costs(costs["ROLLING_BENCH_TASK_COSTS"], hosts)


FAULTS = ("cancel_api_error", "update_cluster_api_error", "maintenance_stuck", "host_down", "job_fail",
          "drop_connection", "killed", "none")


def add_fault(sim, rng, kind, hosts, tag):
    control = sim.control
    if kind == "cancel_api_error":
        control.add_fault("api_error", command="cancelHostMaintenance", errorcode=530, nth=rng.randint(1, 3),
                          errortext="injected cancel failure %s" % tag)
        return "injected cancel failure %s" % tag
    if kind == "update_cluster_api_error":
        control.add_fault("api_error", command="updateCluster", errorcode=530, nth=rng.randint(1, 4),
                          errortext="injected cluster failure %s" % tag)
        return "injected cluster failure %s" % tag
    if kind == "maintenance_stuck":
        host = rng.choice(hosts)
        control.add_fault("maintenance_stuck", host=host)
        return host
    if kind == "host_down":
        host = rng.choice(hosts)
        control.add_fault("host_down_after_maintenance", host=host)
        return host
    if kind == "job_fail":
        control.add_fault("job_fail", command="prepareHostForMaintenance", nth=rng.randint(1, 4),
                          errortext="injected job failure %s" % tag)
        return "injected job failure %s" % tag
    if kind == "drop_connection":
        command = rng.choice(["prepareHostForMaintenance", "cancelHostMaintenance", "updateCluster"])
        control.add_fault("drop_connection", command=command, nth=rng.randint(1, 3))
        return command
    return None


def fired(sim, kind, detail, mark):
    """Whether a call fault took effect in this run: the simulator's request log has a call of that command that
    was not answered with 200 (an error envelope, or a dropped connection). Host faults (stuck, down) and a failed
    job are judged from the report."""
    command = {"cancel_api_error": "cancelHostMaintenance", "update_cluster_api_error": "updateCluster",
               "drop_connection": detail}.get(kind)
    if command is None:
        return kind != "none"
    return any(r.get("command") == command and r.get("status") != 200 for r in sim.control.requests(since=mark))


def one_round(sim, rng, workdir, number):
    """Run the procedure once with one random fault; returns a dict describing the round; raises AssertionError
    when an invariant does not hold."""
    sim.control.reset()
    sim.control.clear_faults()
    sim.control.set_job_durations(FAST)
    clusters = ["bench-c1", "bench-c2"]
    hosts = ["b1h1", "b1h2", "b2h1", "b2h2"]
    kind = rng.choice(FAULTS)
    tag = "r%d-%d" % (number, rng.randint(0, 99999))
    mark = sim.control.mark()
    detail = add_fault(sim, rng, kind, hosts, tag)
    state_dir = os.path.join(workdir, "state")
    if os.path.isdir(state_dir):
        for name in os.listdir(state_dir):
            os.unlink(os.path.join(state_dir, name))
    scope = {"kvm_rolling_maintenance_hosts": hosts}
    if kind == "killed":  # the first run dies halfway; the run checked below must carry on from where it stopped
        detail = round(rng.uniform(0.0, 1.5), 2)
        run_playbook(sim, scope, workdir, kill_after=detail)
    code, report, seconds, output = run_playbook(sim, scope, workdir)
    state = sim.control.state()
    assert report is not None, "round %d (%s): no report\n%s" % (number, kind, output[-3000:])
    by_name = {h["name"]: h for h in report["hosts"]}
    left = set(report["left_in_maintenance"]) | set(report["not_back"])
    for host in state["hosts"].values():
        if host["name"] in hosts and host["resourcestate"] != "Enabled":
            assert host["name"] in left, "round %d (%s): %s left %s, not reported\n%s" % (
                number, kind, host["name"], host["resourcestate"], json.dumps(report["lines"], indent=1))
    for cluster in state["clusters"].values():
        if cluster["name"] in clusters and cluster.get("allocationstate") != "Enabled":
            assert cluster["name"] in report["clusters_left_disabled"], "round %d (%s): %s left %s" % (
                number, kind, cluster["name"], cluster.get("allocationstate"))
    text = json.dumps(report)
    took = fired(sim, kind, detail, mark)
    if kind in ("none", "killed"):
        assert report["ok"] and code == 0, "round %d (%s): the run failed\n%s" % (number, kind, output[-3000:])
        assert not os.listdir(state_dir), "round %d (%s): markers left after a finished run" % (number, kind)
    elif kind in ("cancel_api_error", "update_cluster_api_error", "job_fail") and took:
        if detail in text or kind == "job_fail" and not report["ok"]:
            pass
        else:
            assert kind == "job_fail" and report["ok"], "round %d (%s): fault not reported\n%s" % (
                number, kind, "\n".join(report["lines"]))
    elif kind == "maintenance_stuck":
        assert by_name[detail]["status"] == "failed" or by_name[detail]["status"] == "not_started", (
            "round %d: stuck %s not reported\n%s" % (number, detail, "\n".join(report["lines"])))
        if by_name[detail]["status"] == "failed":
            assert "PrepareForMaintenance" in by_name[detail]["error"], by_name[detail]
    elif kind == "host_down":
        assert by_name[detail]["status"] in ("not_back", "not_started"), (
            "round %d: %s down not reported\n%s" % (number, detail, "\n".join(report["lines"])))
    elif kind == "drop_connection" and took:
        assert not report["ok"] and report["errors"], "round %d: dropped %s not reported\n%s" % (
            number, detail, "\n".join(report["lines"]))
    assert (code == 0) == report["ok"], "round %d: exit %d but report ok=%s" % (number, code, report["ok"])
    sim.control.clear_faults()
    return {"round": number, "fault": kind, "fired": took, "ok": report["ok"], "seconds": round(seconds, 1),
            "counts": report["counts"]}


def campaign(args):
    rng = random.Random(args.seed)
    results = []
    with PrivateSimulator(topology=TOPOLOGY) as sim, tempfile.TemporaryDirectory() as workdir:
        for number in range(1, args.rounds + 1):
            results.append(one_round(sim, rng, workdir, number))
            print(json.dumps(results[-1]), flush=True)
    by_kind = {}
    for result in results:
        entry = by_kind.setdefault(result["fault"], {"rounds": 0, "fired": 0, "runs_failed": 0})
        entry["rounds"] += 1
        entry["fired"] += bool(result["fired"])
        entry["runs_failed"] += not result["ok"]
    print(json.dumps({"rounds": len(results), "invariant_violations": 0, "by_fault": by_kind}, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["bench", "campaign"])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--vm-migration", type=float, default=None,
                        help="bench: seconds each VM's live migration takes (default %s: the fastest drain)"
                        % FAST["vmMigration"])
    parser.add_argument("--no-canary", dest="canary", action="store_false",
                        help="bench: every cluster starts at once, without the canary host alone first")
    parser.add_argument("--task-costs", action="store_true",
                        help="bench: also print the controller CPU each task cost (a hook in ansible-core's worker)")
    args = parser.parse_args()
    (bench if args.mode == "bench" else campaign)(args)


if __name__ == "__main__":
    main()
