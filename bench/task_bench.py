# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-task cost of a no-op API task, next to ansible.builtin.ping and ngine_io.cloudstack's equivalent.

Against a private simulator on 127.0.0.1, round after round (the order rotating each round), it runs four
playbooks with ``ansible-playbook``: one with no task (start-up), one with --tasks ping tasks, one with --tasks
``csops.cloudstack.setting_info`` reads of router.template.kvm and one with --tasks
``ngine_io.cloudstack.configuration_info`` reads of the same setting. Per-task cost of a kind in a round is
(its playbook's wall time - the empty playbook's) / --tasks. It prints min/median/max per kind and of the ratios
to ping, computed round by round.

A second measure isolates the module process: the wall time of a Python process that imports what an API module
imports and makes the one call (our transport; the ``cs`` library that ngine_io.cloudstack uses), next to one
that only imports ansible.module_utils.basic, alternating.

ngine_io.cloudstack ships inside the ``ansible`` package: the first run downloads that wheel with pip and keeps
only ansible_collections/ngine_io/cloudstack under .build/bench/ (not part of the repository). It needs the ``cs``
library in the interpreter that runs modules (tests/requirements.txt installs it).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUR_COLLECTIONS = os.path.join(REPO, ".build", "collections")
CACHE = os.path.join(REPO, ".build", "bench", "ngine_io")
NGINE_COLLECTIONS = os.path.join(CACHE, "collections")
NGINE_DIR = os.path.join(NGINE_COLLECTIONS, "ansible_collections", "ngine_io", "cloudstack")
SETTING = "router.template.kvm"
sys.path[:0] = [os.path.join(REPO, "tests", "lab")]

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402  (path set just above)
from cssim.control import LabControl  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402

KINDS = {
    "empty": None,
    "ping": ("ansible.builtin.ping", {}),
    "csops": ("csops.cloudstack.setting_info", {"names": [SETTING]}),
    "ngine_io": ("ngine_io.cloudstack.configuration_info", {"name": SETTING}),
}


def ensure_ngine_io(version):
    """The ngine_io.cloudstack version in the cache, downloading the ``ansible`` wheel first if needed."""
    manifest = os.path.join(NGINE_DIR, "MANIFEST.json")
    if not os.path.exists(manifest):
        wheels = os.path.join(CACHE, "wheels")
        os.makedirs(wheels, exist_ok=True)
        spec = "ansible==%s" % version if version else "ansible"
        print("downloading %s (once) to take ngine_io.cloudstack out of it" % spec, flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--python-version", "3.12",
                        "--only-binary=:all:", spec, "-d", wheels], check=True, stdout=subprocess.DEVNULL)
        wheel = sorted(glob.glob(os.path.join(wheels, "ansible-*.whl")), key=os.path.getmtime)[-1]
        prefix = "ansible_collections/ngine_io/cloudstack/"
        staging = tempfile.mkdtemp(dir=CACHE)
        with zipfile.ZipFile(wheel) as archive:
            members = [name for name in archive.namelist() if name.startswith(prefix)]
            if not members:
                raise SystemExit("%s has no ngine_io.cloudstack; pass --ansible-version" % os.path.basename(wheel))
            archive.extractall(staging, members)
        os.makedirs(os.path.dirname(NGINE_DIR), exist_ok=True)
        os.rename(os.path.join(staging, prefix.rstrip("/")), NGINE_DIR)
        shutil.rmtree(staging)
        shutil.rmtree(wheels)
    with open(manifest) as handle:
        return json.load(handle)["collection_info"]["version"]


def write_playbooks(directory, tasks):
    paths = {}
    for kind, task in KINDS.items():
        lines = ["- hosts: localhost", "  gather_facts: false", "  tasks: %s" % ("[]" if task is None else "")]
        if task is not None:
            module, args = task
            for index in range(tasks):
                lines.append("    - name: %s %d" % (kind, index))
                lines.append("      %s: %s" % (module, json.dumps(args)))
        paths[kind] = os.path.join(directory, "%s.yml" % kind)
        with open(paths[kind], "w") as handle:
            handle.write("\n".join(lines) + "\n")
    return paths


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_playbook(path, env):
    """(wall seconds, CPU seconds of the whole process tree) of one ansible-playbook run."""
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run([playbook, "-c", "local", "-i", "localhost,", "-e",
                           "ansible_python_interpreter=%s" % sys.executable, path],
                          env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s%s" % (os.path.basename(path), proc.stdout[-3000:], proc.stderr[-2000:]))
    return elapsed, _children_cpu() - cpu


MODULE_PROCESS = {
    "floor": "import ansible.module_utils.basic",
    "transport": (
        "import ansible.module_utils.basic\n"
        "from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection\n"
        "from ansible_collections.csops.cloudstack.plugins.module_utils._api.transport import Transport\n"
        "c = Connection(%(url)r, %(key)r, %(secret)r, 10, 'get', True, 'cloudstack')\n"
        "assert Transport(c).send('listConfigurations', {'name': %(setting)r}, 10)['count'] >= 1\n"),
    "cs": (
        "import ansible.module_utils.basic\n"
        "from cs import CloudStack\n"
        "c = CloudStack(endpoint=%(url)r, key=%(key)r, secret=%(secret)r, expiration=600)\n"
        "assert c.listConfigurations(name=%(setting)r)['count'] >= 1\n"),
}


def run_process(code, env):
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def summary(values, scale=1.0, fmt="%.1f"):
    return " / ".join(fmt % (v * scale) for v in (min(values), statistics.median(values), max(values)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (each runs every playbook once)")
    parser.add_argument("--tasks", type=int, default=20, help="tasks per playbook")
    parser.add_argument("--ansible-version", help="the ansible package to take ngine_io.cloudstack from")
    parser.add_argument("--no-ngine-io", action="store_true", help="leave ngine_io.cloudstack out")
    parser.add_argument("--json", help="also write the raw timings to this file")
    args = parser.parse_args()

    kinds = [k for k in KINDS if not (args.no_ngine_io and k == "ngine_io")]
    ngine_version = None if args.no_ngine_io else ensure_ngine_io(args.ansible_version)
    sim = PrivateSimulator()
    control = LabControl(sim.control_url)
    workdir = tempfile.mkdtemp(prefix="task-bench-")
    try:
        env = dict(os.environ, CLOUDSTACK_ENDPOINT=sim.endpoint, CLOUDSTACK_KEY=DEFAULT_API_KEY,
                   CLOUDSTACK_SECRET=DEFAULT_SECRET_KEY, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(
                       [OUR_COLLECTIONS, NGINE_COLLECTIONS]), ANSIBLE_DEPRECATION_WARNINGS="false",
                   ANSIBLE_LOCALHOST_WARNING="false", PYTHONPATH=OUR_COLLECTIONS)
        env.pop("CLOUDSTACK_CONFIG", None)
        paths = write_playbooks(workdir, args.tasks)
        walls = {k: [] for k in kinds}
        calls = {k: [] for k in kinds}
        process = {k: [] for k in MODULE_PROCESS}
        codes = {k: v % dict(url=sim.endpoint, key=DEFAULT_API_KEY, secret=DEFAULT_SECRET_KEY, setting=SETTING)
                 for k, v in MODULE_PROCESS.items()}
        for name in codes:  # warm the file cache once
            run_process(codes[name], env)
        for kind in kinds:
            run_playbook(paths[kind], env)
        for round_no in range(args.runs):
            order = kinds[round_no % len(kinds):] + kinds[:round_no % len(kinds)]
            for kind in order:
                mark = control.mark()
                walls[kind].append(run_playbook(paths[kind], env))
                calls[kind].append(len(control.requests(mark)))
            names = list(codes)
            for name in names[round_no % len(names):] + names[:round_no % len(names)]:
                process[name].append(run_process(codes[name], env))
            print("round %d/%d done" % (round_no + 1, args.runs), file=sys.stderr, flush=True)
    finally:
        sim.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print("\n%d rounds, %d tasks per playbook, ansible-core from %s%s"
          % (args.runs, args.tasks, os.path.dirname(sys.executable),
             "" if ngine_version is None else ", ngine_io.cloudstack %s" % ngine_version))
    results = {"tasks": args.tasks, "ngine_io": ngine_version, "raw": walls, "calls": calls, "process": process}
    for index, measure in enumerate(("wall", "CPU")):
        per_task = {k: [(run[index] - empty[index]) / args.tasks for run, empty in zip(walls[k], walls["empty"])]
                    for k in kinds if k != "empty"}
        results["per_task_" + measure.lower()] = per_task
        what = " (user + system of ansible-playbook and every process under it)" if measure == "CPU" else ""
        print("\n%s time%s\n" % (measure, what))
        print("| kind | playbook s (min / median / max) | per task ms (min / median / max) | ratio to ping "
              "(min / median / max) | API calls per task |")
        print("|---|---|---|---|---|")
        print("| no task (start-up) | %s | | | |" % summary([r[index] for r in walls["empty"]], fmt="%.2f"))
        for kind in per_task:
            ratios = [t / p for t, p in zip(per_task[kind], per_task["ping"])]
            ratio = "" if kind == "ping" else summary(ratios, fmt="%.2f")
            print("| %s | %s | %s | %s | %s |" % (KINDS[kind][0], summary([r[index] for r in walls[kind]], fmt="%.2f"),
                                                  summary(per_task[kind], 1000), ratio,
                                                  "%g" % (statistics.median(calls[kind]) / args.tasks)))
    print("\nOne module-like process (python -c), ms, min / median / max; extra over the floor is per round:\n")
    print("| process | wall | wall extra | CPU | CPU extra |")
    print("|---|---|---|---|---|")
    for name in codes:
        cells = []
        for index in (0, 1):
            values = [run[index] for run in process[name]]
            cells.append(summary(values, 1000))
            cells.append("" if name == "floor" else summary(
                [v - f[index] for v, f in zip(values, process["floor"])], 1000))
        print("| %s | %s |" % (name, " | ".join(cells)))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
