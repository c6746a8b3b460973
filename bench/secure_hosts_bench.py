# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Securing KVM hosts (playbooks/secure_kvm_hosts.yml): time per host and what it is made of.

    .venv/bin/python bench/secure_hosts_bench.py --api-hosts 50          # the CA part, private simulator
    .venv/bin/python bench/secure_hosts_bench.py --real --runs 3        # kvm1 and kvm2 of the lab (make lab-up)

--real runs the playbook against the lab's two KVM hosts, each round from fresh hosts (labvirt.py reset-host):
a first run that secures both, then a second run with nothing to do. The time of each task comes from the
timestamps of the Ansible log; restarts are the handler tasks (libvirtd and the stand-in agent, which itself
starts keytool once to open the keystore). keytool (JVM) starts are counted from the modules' keytool_calls.

--api-hosts N issues certificates for N API-only hosts as the role does it: N inventory hosts on a local
connection, each with its own CSR, issueCertificate delegated to the controller (default forks), against a
private simulator on 127.0.0.1 whose jobs finish at once. It measures the controller's part per host.
"""

import argparse
import datetime
import ipaddress
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(REPO, "tests", "lab")
STATE = os.path.join(LAB, ".state")
LABVIRT = os.path.join(LAB, "libvirt", "labvirt.py")
VENV_BIN = os.path.dirname(sys.executable)
sys.path.insert(0, LAB)
sys.path.insert(0, os.path.join(LAB, "libvirt"))

LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) p=\d+ u=\S+ n=\S+(?: [A-Z]+)? ?\| (.*)$")
RESTART_TASKS = ("Restart libvirtd", "Wait for libvirtd's TLS port", "Restart the CloudStack agent")


def ansible_env(extra=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACK_RESULT_FORMAT="yaml", PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    env.update(extra or {})
    return env


def playbook(path, inventory, env, *args):
    """(seconds, stdout, log text) of one ansible-playbook run with -v and a timestamped log."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "ansible.log")
        start = time.monotonic()
        proc = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), "-v", "-i", inventory, path] + list(args),
                              env=dict(env, ANSIBLE_LOG_PATH=log), capture_output=True, text=True, cwd=REPO,
                              timeout=1800, check=False)
        seconds = time.monotonic() - start
        text = open(log).read() if os.path.exists(log) else ""
    if proc.returncode != 0:
        raise SystemExit("ansible-playbook failed:\n" + proc.stdout[-4000:] + proc.stderr[-2000:])
    return seconds, proc.stdout, text


def task_times(log_text):
    """[(task name, seconds)] from the log's TASK / RUNNING HANDLER headers and the next line's time."""
    marks = []
    for line in log_text.splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        when = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        head = re.match(r"(?:TASK|RUNNING HANDLER) \[(?:[^:\]]+ : )?(.*?)\]", match.group(2))
        if head:
            marks.append((head.group(1), when))
        elif match.group(2).startswith("PLAY RECAP"):
            marks.append((None, when))
    return [(name, end - start) for (name, start), (_next, end) in zip(marks, marks[1:]) if name]


def keytool_calls(stdout):
    return sum(int(n) for n in re.findall(r"^\s*keytool_calls: (\d+)$", stdout, re.M))


def changed_hosts(stdout):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", stdout, re.M)}


def read_lab_env():
    env = {}
    with open(os.path.join(STATE, "env")) as handle:
        for line in handle:
            if line.startswith("export "):
                key, _sep, value = line[len("export "):].strip().partition("=")
                env[key] = value.strip("'")
    return env


def real(args):
    import labvirt
    from cssim.control import LabControl

    lab_env = read_lab_env()
    control = LabControl(lab_env["CSLAB_CONTROL"])
    control.reset()
    control.set_job_durations(issueCertificate=0)
    env = ansible_env(lab_env)
    inventory = os.path.join(STATE, "inventory.yml")
    path = os.path.join(REPO, "playbooks", "secure_kvm_hosts.yml")
    rounds = []
    for _round in range(args.runs):
        for host in ("kvm1", "kvm2"):
            subprocess.run([sys.executable, LABVIRT, "reset-host", "--host", host], check=True, capture_output=True)
        agents = {h: labvirt.agent_status(h)["starts"] for h in ("kvm1", "kvm2")}
        first, out1, log1 = playbook(path, inventory, env)
        second, out2, log2 = playbook(path, inventory, env)
        times = task_times(log1)
        restart = sum(s for name, s in times if name in RESTART_TASKS)
        agent_starts = sum(labvirt.agent_status(h)["starts"] - agents[h] for h in agents)
        rounds.append({"first": first, "second": second, "restart": restart, "times": times,
                       "jvm_modules": keytool_calls(out1), "jvm_agent": agent_starts,
                       "jvm_second": keytool_calls(out2), "changed_second": changed_hosts(out2)})
    control.reset()
    for host in ("kvm1", "kvm2"):
        subprocess.run([sys.executable, LABVIRT, "reset-host", "--host", host], check=True, capture_output=True)
    hosts = 2

    def stat(key, per_host=True):
        values = [r[key] / (hosts if per_host else 1) for r in rounds]
        return "%.2f / %.2f / %.2f" % (min(values), statistics.median(values), max(values))

    print("Real hosts (kvm1, kvm2), %d round(s), seconds per host (min / median / max):" % args.runs)
    print("  first run, whole playbook:      %s" % stat("first"))
    print("  of which restarts (handlers):   %s" % stat("restart"))
    work = [(r["first"] - r["restart"]) / hosts for r in rounds]
    print("  work beyond restarts:           %.2f / %.2f / %.2f" % (min(work), statistics.median(work), max(work)))
    print("  second run (nothing to do):     %s" % stat("second"))
    print("  keytool starts in the modules, first run: %s; by the agent stand-in's restarts: %s; second run: %s"
          % ([r["jvm_modules"] for r in rounds], [r["jvm_agent"] for r in rounds], [r["jvm_second"] for r in rounds]))
    print("  changed in the second run: %s" % [r["changed_second"] for r in rounds])
    merged = {}
    for r in rounds:
        for name, seconds in r["times"]:
            merged.setdefault(name, []).append(seconds)
    print("  tasks of the first run (median seconds over rounds, both hosts together):")
    for name, values in sorted(merged.items(), key=lambda item: -statistics.median(item[1]))[:args.top]:
        print("    %6.2f  %s" % (statistics.median(values), name))


def make_csr(index):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sim-host-%05d.lab.invalid" % index)]))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                ipaddress.ip_address("10.252.%d.%d" % (index // 250, index % 250 + 1)))]), False)
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())


CA_PLAY = [
    {"name": "The CA part of securing a host", "hosts": "api_hosts", "gather_facts": False, "tasks": [
        {"name": "Read CloudStack's CA", "csops.cloudstack.ca_certificate_info": {}, "delegate_to": "localhost",
         "run_once": True, "register": "ca"},
        {"name": "Have CloudStack's CA sign the host's CSR", "csops.cloudstack.host_certificate": {"csr": "{{ csr }}"},
         "delegate_to": "localhost", "register": "issued"},
        {"name": "Check it", "ansible.builtin.assert": {"that": ["issued.certificate is not none"], "quiet": True}},
    ]},
]


def api_hosts(args):
    from cssim.launcher import PrivateSimulator

    with tempfile.TemporaryDirectory() as tmp, PrivateSimulator() as sim:
        sim.control.set_job_durations(issueCertificate=0)
        inventory = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                                     "ansible_python_interpreter": sys.executable}},
                             "children": {"api_hosts": {"hosts": {}, "vars": {
                                 "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}}
        for index in range(args.api_hosts):
            inventory["all"]["children"]["api_hosts"]["hosts"]["sim-host-%05d" % index] = {"csr": make_csr(index)}
        inv = os.path.join(tmp, "inventory.yml")
        with open(inv, "w") as handle:
            yaml.safe_dump(inventory, handle)
        play = os.path.join(tmp, "play.yml")
        with open(play, "w") as handle:
            yaml.safe_dump(CA_PLAY, handle)
        env = ansible_env({"CLOUDSTACK_ENDPOINT": sim.endpoint, "CLOUDSTACK_KEY": "csl-admin-apikey",
                           "CLOUDSTACK_SECRET": "csl-admin-secret"})
        results = []
        for _run in range(args.runs):
            mark = sim.control.mark()
            seconds, _out, log = playbook(play, inv, env)
            issued = len(sim.control.requests(mark, command="issueCertificate"))
            times = dict((n, s) for n, s in task_times(log))
            results.append((seconds, issued, times))
    per_host = [s / args.api_hosts for s, _i, _t in results]
    print("CA part for %d API-only hosts (forks %s), %d run(s):" % (
        args.api_hosts, os.environ.get("ANSIBLE_FORKS", "5"), args.runs))
    print("  whole playbook: %s s; per host: %.3f / %.3f / %.3f s (min / median / max)" % (
        ["%.1f" % s for s, _i, _t in results], min(per_host), statistics.median(per_host), max(per_host)))
    print("  issueCertificate calls per run: %s" % [i for _s, i, _t in results])
    sign = [t.get("Have CloudStack's CA sign the host's CSR", 0) / args.api_hosts for _s, _i, t in results]
    print("  signing task per host: %.3f / %.3f / %.3f s" % (min(sign), statistics.median(sign), max(sign)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--real", action="store_true", help="the lab's kvm1 and kvm2 (make lab-up first)")
    parser.add_argument("--api-hosts", type=int, default=0, help="the CA part for N API-only hosts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=12, help="slowest tasks to list")
    args = parser.parse_args()
    if not args.real and not args.api_hosts:
        parser.error("give --real and/or --api-hosts N")
    if args.api_hosts:
        api_hosts(args)
    if args.real:
        real(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
