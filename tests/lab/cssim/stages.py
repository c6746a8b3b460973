"""Rolling maintenance stages on a host: what the KVM agent does for the management server's
RollingMaintenanceCommand (FACTS.md section C, agent side).

Lab hosts with a namespace (kvm1, kvm2) run the real thing over SSH: a small agent program (``AGENT``) reads the
host's agent.properties (``rolling.maintenance.hooks.dir``, ``rolling.maintenance.service.executor.disabled``),
takes the first regular file among ``<dir>/S``, ``S.sh``, ``S.py`` and runs it as the agent would:

- service executor (default): the executor program (``EXECUTOR``, CloudStack's ``rolling-maintenance``) gets one
  argument ``<stage>,<script>,<timeout>,<results file>,<output file>[,<payload>]``, splits it on commas (a payload
  is cut at its first comma), runs ``timeout <T> <script> <payload>`` through the shell (the payload word-split),
  keeps stdout only (waiting for the script before reading, so output beyond the 64 KiB pipe blocks it until the
  timeout and what is kept is cut at 65,536 bytes), writes ``<Stage>,True|False,True|False`` (no newline) to
  ``<hooks dir>/rolling-maintenance-results`` and the stripped output to ``rolling-maintenance-output``, and
  exits 0; the agent then reads both files.
- agent executor (``...executor.disabled=true``): the script runs directly with the payload as one argument.

Exit 0 is success, 70 success plus "avoid maintenance", anything else (124 for a timeout) a failure. A stage
without a script is answered as a success with no output.

API-only hosts (and every host of a simulator that is not the lab's, see ``is_real``) run nothing: every stage
succeeds at once with no output unless the control API set a result for
(host, stage): ``{"exit": N, "output": text, "seconds": S, "missing": true}`` (missing: the host has no script
for that stage).
"""

import json
import os
import shlex
import subprocess
import time

AVOID_EXIT = 70
SSH_GRACE = 60  # seconds the SSH call may take beyond the stage timeout (connection, agent program)
AGENT_PROPERTIES = "/etc/cloudstack/agent/agent.properties"
HOOKS_DIR_EMPTY = "Hooks directory is empty, please specify it on agent.properties and restart the agent"

EXECUTOR = r'''
import subprocess
import sys


def main():
    fields = sys.argv[1].split(",")
    if len(fields) < 5:
        sys.stderr.write("rolling-maintenance: expected stage,script,timeout,results,output[,payload]\n")
        return 0
    stage, script, timeout, results, output = fields[:5]
    payload = fields[5] if len(fields) > 5 else ""
    proc = subprocess.Popen("timeout %s %s %s" % (timeout, script, payload), shell=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.wait()
    out = proc.stdout.read().decode("utf-8", "replace")
    code = proc.returncode
    with open(results, "w") as handle:
        handle.write("%s,%s,%s" % (stage, code in (0, 70), code == 70))
    with open(output, "w") as handle:
        handle.write(out.strip())
    return 0


sys.exit(main())
'''

AGENT = r'''
import json
import os
import subprocess
import sys

EXECUTOR = %(executor)r
request = json.loads(sys.argv[1])


def properties(path):
    values = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if not line or line[0] in "#!":
                continue
            for index, char in enumerate(line):
                if char in "=: \t":
                    values[line[:index]] = line[index + 1:].strip()
                    break
    return values


def answer():
    values = properties(request["agent_properties"])
    hooks = values.get("rolling.maintenance.hooks.dir", "").strip()
    if not hooks:
        return {"error": %(empty)r}
    hooks = hooks + "/"
    stage = request["stage"]
    script = next((hooks + stage + ext for ext in ("", ".sh", ".py") if os.path.isfile(hooks + stage + ext)), None)
    if request["check"]:
        return {"exists": script is not None, "script": script}
    if script is None:
        return {"success": True, "avoid": False, "output": "", "exit": None, "script": None}
    timeout, payload = int(request["timeout"]), request.get("payload") or ""
    if values.get("rolling.maintenance.service.executor.disabled", "false").strip().lower() == "true":
        proc = subprocess.Popen([script] + ([payload] if payload else []), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            out, _err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _err = proc.communicate()
        code = proc.returncode
        return {"success": code in (0, 70), "avoid": code == 70, "output": out.decode("utf-8", "replace").strip(),
                "exit": code, "script": script, "executor": "agent"}
    results, output = hooks + "rolling-maintenance-results", hooks + "rolling-maintenance-output"
    instance = ",".join([stage, script, str(timeout), results, output] + ([payload] if payload else []))
    subprocess.call([sys.executable, "-c", EXECUTOR, instance])
    with open(results) as handle:
        fields = handle.read().strip().split(",")
    if fields[0].lower() != stage.lower():
        return {"error": "results file %%s is for stage %%s, not %%s" %% (results, fields[0], stage)}
    with open(output) as handle:
        text = handle.read()
    success = len(fields) > 2 and fields[1].lower() == "true"
    avoid = len(fields) > 2 and fields[2].lower() == "true"
    return {"success": success, "avoid": avoid, "output": text, "script": script, "executor": "service",
            "results": ",".join(fields)}


try:
    print(json.dumps(answer()))
except (OSError, ValueError) as error:
    print(json.dumps({"error": str(error)}))
''' % {"executor": EXECUTOR, "empty": HOOKS_DIR_EMPTY}


class StageError(Exception):
    """The agent could not answer (SSH failed, no hooks dir, unreadable files): CloudStack's AgentUnavailable or a
    failed command; the message says why."""


class Outcome:
    """A stage's answer: ``success``, ``avoid`` (exit 70) and ``output``; ``detail`` what ran (for the run log)."""

    def __init__(self, success, avoid, output, detail=None):
        self.success = bool(success)
        self.avoid = bool(avoid)
        self.output = output or ""
        self.detail = detail or {}


def lab_dir(sim):
    """tests/lab/.state of the lab whose simulator this is (labctl keeps the simulator's state in .state/sim)."""
    return os.path.dirname(os.path.abspath(str(sim.state_dir)))


def agent_properties(sim, host):
    """The agent.properties of a lab host: its lab tree (tests/lab/.state/libvirt/hosts/<host>/etc/...) when it
    has one, else the real path."""
    lab_file = os.path.join(lab_dir(sim), "libvirt", "hosts", host["name"], "etc", "cloudstack", "agent",
                            "agent.properties")
    return lab_file if os.path.exists(lab_file) else AGENT_PROPERTIES


def ssh_config(sim):
    return os.path.join(lab_dir(sim), "ssh", "ssh_config")


def is_real(sim, host):
    """Whether the host's stages really run: a lab host (with a namespace) while the lab is up (its SSH config
    exists). A private simulator on loopback simulates every host."""
    return bool(host.get("lab_namespace")) and os.path.exists(ssh_config(sim))


def _ssh(sim, host, request, timeout):
    config = ssh_config(sim)
    command = ["ssh", "-F", config, host["name"], "/usr/bin/python3 - %s" % shlex.quote(json.dumps(request))]
    try:
        done = subprocess.run(command, input=AGENT.encode("utf-8"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise StageError("no answer from host %s within %ss" % (host["name"], timeout)) from None
    except OSError as exc:
        raise StageError("cannot reach host %s: %s" % (host["name"], exc)) from None
    if done.returncode != 0:
        raise StageError("cannot reach host %s: ssh exited %d: %s"
                         % (host["name"], done.returncode, done.stderr.decode("utf-8", "replace").strip()[-300:]))
    try:
        answer = json.loads(done.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise StageError("host %s answered no result: %r" % (host["name"], done.stdout[-300:])) from None
    if "error" in answer:
        raise StageError(answer["error"])
    return answer


def _simulated(sim, host, stage):
    with sim.world.lock:
        return dict(sim.world.state.get("rolling_stages", {}).get(host["id"], {}).get(stage) or {})


def has_maintenance_script(sim, host):
    """isCheckMaintenanceScript: whether the host has a Maintenance stage script."""
    if is_real(sim, host):
        request = {"check": True, "stage": "Maintenance", "agent_properties": agent_properties(sim, host)}
        return _ssh(sim, host, request, SSH_GRACE)["exists"]
    return not _simulated(sim, host, "Maintenance").get("missing")


def run(sim, host, stage, timeout, payload):
    """Run ``stage`` on ``host`` and return its Outcome; StageError when the agent cannot answer."""
    if is_real(sim, host):
        request = {"check": False, "stage": stage, "timeout": timeout, "payload": payload or "",
                   "agent_properties": agent_properties(sim, host)}
        answer = _ssh(sim, host, request, timeout + SSH_GRACE)
        return Outcome(answer["success"], answer["avoid"], answer["output"], answer)
    spec = _simulated(sim, host, stage)
    if spec.get("missing"):
        return Outcome(True, False, "", {"script": None})
    if spec.get("seconds"):
        time.sleep(min(float(spec["seconds"]), timeout))
        if float(spec["seconds"]) > timeout:
            return Outcome(False, False, "", {"exit": 124, "script": "simulated"})
    code = int(spec.get("exit", 0))
    return Outcome(code in (0, AVOID_EXIT), code == AVOID_EXIT, spec.get("output", ""),
                   {"exit": code, "script": "simulated"})
