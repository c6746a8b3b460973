# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad-input campaign: every module of the collection, tried the way an unlucky operator and a hostile inventory
would try it, in real ansible-playbook runs, with the harm counted.

    .venv/bin/python bench/bad_input_campaign.py [--quick] [--only MODULE[,MODULE]] [--allow-failures]
                                                 [--details] [--json PATH] [--keep DIR] [--jobs N]

The API modules run against private simulators on 127.0.0.1 (ephemeral ports; nothing else is contacted), the
host modules with every path option pointed into a temporary tree, with ``-c local``. Cases that share a
simulator or a tree run as the tasks of one playbook (``-vvv``, ``ANSIBLE_DISPLAY_TRACEBACK=always``, a log
file), several playbooks side by side; a small callback plugin written beside each playbook applies the case's
simulator faults when its task starts, takes the request-log mark before and after it, snapshots the host tree
around it, and records the result the task registers. Then every case is judged:

  tracebacks        a crash in the case's part of stdout or of the log, or in its result: a traceback ending in
                    an exception the module did not report as its message (see crash_lines), "MODULE
                    FAILURE", or a failure message ansible-core wrote for the module
  unclear errors    bad input accepted; a message that is empty, has a line break, is longer than 300
                    characters, leaves out the option's name, or echoes a long input; a lost write not
                    reported as one that "may have been made"
  state changed     API: any write command in the request log during a bad-input run or a check-mode run,
                    or a second run that writes again or reports a change; host: any file created, changed or
                    removed under the case's tree by a bad-input run
  leaks             an API key or secret in the case's stdout, log or result
  duplicate writes  the same write (command and parameters) sent twice in one run
  bound overruns    a task that ran past its wait_timeout under slow or hung jobs, by more than Ansible's own
                    cost of a task on the machine at the time (see BOUND_SLACK)
  injections        a hook dispatcher installed from hostile settings that, run like libvirt runs it, executes
                    an injected command or does not read the custom directory it was given

The exit status is 1 when any column but runs is non-zero (0 with --allow-failures). ``--quick`` runs the
subset tests/integration/test_bad_input_campaign.py uses.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
COLLECTIONS = os.path.join(REPO, ".build", "collections")  # the symlink `make setup` / `make collections` creates
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402  (path set just above)
from cssim.launcher import PrivateSimulator  # noqa: E402

COLUMNS = ("runs", "tracebacks", "unclear", "state_changed", "leaks", "duplicate_writes", "bound_overruns",
           "injections")
HEADINGS = ("runs", "tracebacks", "unclear errors", "state changed", "leaks", "duplicate writes",
            "bound overruns", "injections")
API_MODULES = ("setting", "setting_info", "host_info", "systemvm_info", "router_info", "systemvm_template",
               "systemvm", "router_upgrade", "host", "allocation_state", "rolling_maintenance", "cluster_info",
               "diagnostics", "diagnostics_data")
HOST_MODULES = ("libvirt_hook", "libvirt_hook_script", "libvirt_hook_info", "rolling_maintenance_scripts")
MAINTENANCE_MODULES = ("host", "allocation_state", "rolling_maintenance", "cluster_info")
DIAGNOSTICS_MODULES = ("diagnostics", "diagnostics_data")

# Credentials that must never be shown: the simulator's own pair (used by every API run) and a pair only the
# credential cases use (a malformed cloudstack.ini, an unreachable endpoint).
CAMPAIGN_KEY = "K3y-campaign-never-shown-7f3a9c"
CAMPAIGN_SECRET = "S3cret-campaign-never-shown-b81e04"
SECRETS = (DEFAULT_API_KEY, DEFAULT_SECRET_KEY, CAMPAIGN_KEY, CAMPAIGN_SECRET)

LONG = "x" * 10000  # a 10,000-character input; a message may name it but not echo it whole
MAX_MSG = 300
# A task may run this long past its wait_timeout: at least 3 s, or Ansible's own cost of a task on this machine
# now (the median time of the bad-input tasks that fail before sending anything) plus 1.5 s.
BOUND_SLACK = 3.0
# How ansible-core words a failure the module did not report itself (an exception, output that is not JSON).
SYNTHESIZED = ("Task failed:", "Module failed:", "Action failed:", "Module result deserialization failed",
               "MODULE FAILURE")
CHAINED = ("The above exception was the direct cause of the following exception:",
           "During handling of the above exception, another exception occurred:")
CONTROLLER_WRAPPERS = ("AnsibleModuleCapturedError", "AnsibleActionCapturedError", "AnsibleTaskError")
SIGNING_KEYS = {"apikey", "signature", "signatureversion", "expires"}

# A free-text global setting, a CSV setting, a number, a decimal and a boolean of the simulator's catalog.
S_TEXT = "router.template.lxc"
S_CSV = "router.health.checks.to.exclude"
S_INT = "expunge.delay"
S_DOUBLE = "router.health.checks.free.disk.space.threshold"
S_BOOL = "router.version.check"

CALLBACK = r'''
# Written by bench/bad_input_campaign.py for one campaign run; records what each case's task did.
import hashlib, json, os, time, urllib.request
from ansible.plugins.callback import CallbackBase


def tree(root):
    seen = {}
    if not root:
        return seen
    for top, dirs, files in os.walk(root.encode()):
        for name in dirs + files:
            path = os.path.join(top, name)
            st = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            elif os.path.islink(path):
                digest = os.readlink(path).hex()
            seen[path.decode("utf-8", "backslashreplace")] = [st.st_mode, st.st_uid, st.st_gid, digest]
    return seen


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "campaign_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with open(os.environ["CAMPAIGN_CASES"]) as handle:
            self.cases = json.load(handle)
        self.control = os.environ.get("CAMPAIGN_CONTROL") or None
        self.watch = os.environ.get("CAMPAIGN_WATCH") or None
        self.record = os.environ["CAMPAIGN_RECORD"]
        self.current = None
        self.durations = None

    def _call(self, method, path, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.control + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read().decode())

    def v2_playbook_on_task_start(self, task, is_conditional):
        case = self.cases.get(task.get_name())
        self.current = None
        if case is None:
            return
        cur = {"id": task.get_name(), "mark0": None, "tree0": tree(self.watch)}
        if self.control:
            self._call("DELETE", "/lab/faults")
            if self.durations is None:
                self.durations = self._call("GET", "/lab/jobs/durations")
            # Durations merge into what is set: every case starts again from the simulator's own.
            self._call("POST", "/lab/jobs/durations", dict(self.durations, **(case.get("durations") or {})))
            for fault in case.get("faults") or ():
                self._call("POST", "/lab/faults", fault)
            cur["mark0"] = self._call("GET", "/lab/requests/mark")["mark"]
        cur["start"] = time.monotonic()
        self.current = cur

    def _done(self, result, status):
        cur, self.current = self.current, None
        if cur is None or result._task.get_name() != cur["id"]:
            return
        cur["elapsed"] = time.monotonic() - cur["start"]
        case = self.cases[cur["id"]]
        if self.control:
            # A request slowed down by a latency fault is logged when its answer is sent: wait for it so it is
            # counted in this case, not the next.
            slow = max([f.get("seconds", 0) for f in case.get("faults") or () if f.get("kind") == "latency"] or [0])
            left = slow + 0.5 - cur["elapsed"]
            if slow and left > 0:
                time.sleep(left)
            cur["mark1"] = self._call("GET", "/lab/requests/mark")["mark"]
            self._call("DELETE", "/lab/faults")
        tree1 = tree(self.watch)
        tree0 = cur.pop("tree0")
        cur["files_changed"] = sorted(p for p in set(tree0) | set(tree1) if tree0.get(p) != tree1.get(p))
        cur["status"] = status
        cur["result"] = result._result
        with open(self.record, "a") as handle:
            handle.write(json.dumps(cur, default=repr) + "\n")

    def v2_runner_on_ok(self, result, **kwargs):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._done(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._done(result, "unreachable")
'''


class Case:
    """One task of the campaign.

    expect: "fail" (bad input: must fail in one clear line naming ``option`` and change nothing), "nochange" (a
    second run: must neither write nor report a change), "any" (must not trace back or leak; changes allowed),
    "prep" (sets up the next case; not counted)."""

    def __init__(self, module, args, expect="fail", option=None, check=False, diff=False, faults=None,
                 durations=None, env=None, bound=None, lost_write=False, long=None, setup=None, probe=False,
                 quick=False, note="", check_expect="fail"):
        self.module = module
        self.args = args
        self.expect = expect
        self.option = [option] if isinstance(option, str) else list(option or ())
        self.check = check
        self.diff = diff
        self.faults = faults or []
        self.durations = durations or {}
        self.env = env or {}
        self.bound = bound
        self.lost_write = lost_write
        self.long = long
        self.setup = setup or []
        self.probe = probe
        self.quick = quick
        self.note = note
        self.check_expect = check_expect
        self.id = None
        self.dir = None

    def short(self):
        """The case's arguments, shortened for a report line."""
        text = json.dumps(self.args, default=repr, sort_keys=True)
        for secret in SECRETS:
            text = text.replace(secret, "<secret>")
        text = re.sub(r"x{20,}", lambda m: "x*%d" % len(m.group(0)), text)
        mode = (" check" if self.check else "") + (" diff" if self.diff else "")
        extra = (" faults=%s" % ",".join("%s:%s" % (f["kind"], f.get("command", "")) for f in self.faults)
                 if self.faults else "")
        return (self.note + " " if self.note else "") + text[:160] + mode + extra


# ----------------------------------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------------------------------

def with_check(cases):
    """Each bad-input case, and the same case in check mode: bad input is refused in check mode too."""
    out = []
    for case in cases:
        out.append(case)
        if case.expect == "fail" and not case.check:
            twin = Case(case.module, case.args, case.check_expect, case.option, check=True, diff=case.diff,
                        env=case.env, long=case.long, setup=case.setup, note=case.note)
            out.append(twin)
    return out


def common_api_cases(module, base, waits):
    """Connection and wait options every API module shares, on top of ``base`` (valid other arguments)."""
    cases = [
        Case(module, dict(base, api_timeout=0), option="api_timeout", quick=module == "host_info"),
        Case(module, dict(base, api_timeout=-5), option="api_timeout"),
        Case(module, dict(base, api_timeout=10 ** 12), option="api_timeout"),
        Case(module, dict(base, api_url="http://"), option="api_url", quick=module == "router_info"),
        Case(module, dict(base, api_url="http:///client/api"), option="api_url"),
        Case(module, dict(base, api_url="127.0.0.1/client/api"), option="api_url"),
        Case(module, dict(base, api_url=""), option="api_url"),
    ]
    if waits:
        cases += [
            Case(module, dict(base, wait_timeout=0), option="wait_timeout", quick=module == "systemvm"),
            Case(module, dict(base, wait_timeout=-1), option="wait_timeout"),
            Case(module, dict(base, wait_timeout=10 ** 12), option="wait_timeout"),
        ]
    return cases


def selector_cases(module, base, options, ids=(), lists=()):
    """Empty, blank, line-broken and 10,000-character values of each filter of a read-only module. An empty
    filter must fail (it never means "all"); a line break only has to be harmless (it matches nothing)."""
    cases = []
    for opt in options:
        cases += [
            Case(module, dict(base, **{opt: ""}), option=opt, quick=opt in ("name", "zone", "account")),
            Case(module, dict(base, **{opt: "   "}), option=opt),
            Case(module, dict(base, **{opt: "lab-zone1\nlab-zone2"}), expect="any"),
            Case(module, dict(base, **{opt: LONG}), option=opt, long=LONG),
        ]
    for opt in ids:
        cases += [Case(module, dict(base, **{opt: ""}), option=opt, quick=opt == "id"),
                  Case(module, dict(base, **{opt: "not-a-uuid; DROP"}), option=opt)]
    for opt in lists:
        cases += [
            Case(module, dict(base, **{opt: []}), option=opt, quick=True),
            Case(module, dict(base, **{opt: [""]}), option=opt),
            Case(module, dict(base, **{opt: ["lab-zone1", ""]}), option=opt),
            Case(module, dict(base, **{opt: [["nested"]]}), option=opt),
            Case(module, dict(base, **{opt: [LONG]}), option=opt, long=LONG),
        ]
    return cases


def api_cases():
    cases = []
    # setting: the only module that writes configuration; an empty or missing piece must not empty a setting.
    m = "setting"
    cases += with_check([
        Case(m, {"name": S_TEXT}, option="value", quick=True, note="value omitted"),
        Case(m, {"name": S_TEXT, "value": None}, option="value", quick=True),
        Case(m, {"name": "", "value": "x"}, option="name", quick=True),
        Case(m, {"name": "   ", "value": "x"}, option="name"),
        Case(m, {"name": S_TEXT + "\n", "value": "x"}, option="name"),
        Case(m, {"name": LONG, "value": "x"}, option="name", long=LONG),
        Case(m, {"name": S_TEXT, "value": LONG + "\n" + LONG}, option="value", long=LONG,
             note="value with a line break"),
        Case(m, {"name": S_TEXT, "value": "x", "zone": ""}, option="zone", quick=True),
        Case(m, {"name": S_TEXT, "value": "x", "zone": "no-such-zone"}, option="zone"),
        Case(m, {"name": "router.service.offering", "value": "x", "account_id": ""}, option="account_id"),
        Case(m, {"name": S_TEXT, "value": "x", "cluster": ""}, option="cluster"),
        Case(m, {"name": S_TEXT, "value": "x", "domain_id": ""}, option="domain_id"),
        Case(m, {"name": S_TEXT, "value": "x", "storage_id": ""}, option="storage_id"),
        Case(m, {"name": S_TEXT, "value": "x", "image_store_id": ""}, option="image_store_id"),
        Case(m, {"settings": []}, option="settings", quick=True),
        Case(m, {"settings": {}}, option="settings"),
        Case(m, {"settings": "router.template.lxc=x"}, option="settings"),
        Case(m, {"settings": [{"name": S_TEXT, "value": "campaign"}, {"name": "", "value": "y"}]},
             option="settings", quick=True, note="valid item then an empty name"),
        Case(m, {"settings": [{"name": S_TEXT, "value": "campaign"}, {}]}, option="settings",
             note="valid item then an empty item"),
        Case(m, {"settings": [{"name": S_TEXT, "value": "campaign"}, {"name": S_INT}]}, option=["settings", "value"],
             note="valid item then one without value"),
        Case(m, {"settings": [{"name": S_TEXT, "value": "campaign"}, {"name": S_INT, "value": None}]},
             option=["settings", "value"]),
        Case(m, {"settings": {S_TEXT: "campaign", S_INT: None}}, option=["settings", "value"]),
        Case(m, {"settings": [{"name": S_TEXT, "value": "a"}, {"name": S_TEXT, "value": "b"}]}, option="settings",
             note="same name twice"),
        Case(m, {"settings": [None]}, option="settings"),
        Case(m, {"settings": [[S_TEXT, "x"]]}, option="settings"),
        Case(m, {"name": S_DOUBLE, "value": float("nan")}, option="value", quick=True),
        Case(m, {"name": S_DOUBLE, "value": "inf"}, option="value"),
        Case(m, {"name": S_DOUBLE, "value": "-Infinity"}, option="value"),
        Case(m, {"name": S_INT, "value": "1e400"}, option="value"),
        Case(m, {"name": S_INT, "value": "ten"}, option="value"),
        Case(m, {"name": S_INT, "value": 10 ** 30}, option="value"),
        Case(m, {"name": S_BOOL, "value": "maybe"}, option="value"),
        Case(m, {"name": S_BOOL, "value": ""}, option="value"),
        Case(m, {"name": S_CSV, "value": [["a", "b"], "c"]}, option="value", note="non-scalar list item"),
        Case(m, {"name": S_CSV, "value": [{"a": 1}]}, option="value"),
        Case(m, {"name": S_TEXT, "value": {"a": 1}}, option="value"),
        Case(m, {"name": "no.such.setting.anywhere", "value": "1"}, option="name"),
    ])
    cases += with_check(common_api_cases(m, {"name": S_TEXT, "value": "x"}, False))

    m = "setting_info"
    cases += selector_cases(m, {}, ("keyword", "category", "zone", "account_id", "cluster"), lists=("names",))
    cases += common_api_cases(m, {"names": [S_TEXT]}, False)

    m = "host_info"
    cases += selector_cases(m, {}, ("name", "zone", "pod", "cluster", "type", "state", "hypervisor"), ids=("id",))
    cases += common_api_cases(m, {}, False)

    m = "systemvm_info"
    cases += selector_cases(m, {}, ("name", "zone", "pod", "host", "state"), ids=("id",))
    cases += common_api_cases(m, {}, False)

    m = "router_info"
    cases += selector_cases(m, {}, ("name", "zone", "pod", "cluster", "host", "account", "version"),
                            ids=("id", "domain_id", "network_id", "vpc_id"))
    cases += common_api_cases(m, {}, False)

    # systemvm: every state acts on real VMs; an empty selector must never mean "every system VM".
    m = "systemvm"
    ssvm = {"type": "secondarystoragevm", "state": "recreated"}
    cases += with_check([
        Case(m, {"name": "", "state": "stopped"}, option="name", quick=True),
        Case(m, {"name": "   ", "state": "stopped"}, option="name"),
        Case(m, {"name": "s-1-VM\nv-2-VM", "state": "stopped"}, option="name"),
        Case(m, {"name": LONG, "state": "stopped"}, option="name", long=LONG),
        Case(m, {"id": "", "state": "stopped"}, option="id", quick=True),
        Case(m, {"id": "not-a-uuid", "state": "restarted"}, option="id"),
        Case(m, {"type": "consoleproxy", "zone": "", "state": "stopped"}, option="zone", quick=True),
        Case(m, {"type": "consoleproxy", "zone": "  ", "state": "restarted"}, option="zone"),
        Case(m, {"type": "consoleproxy", "zone": "no-such-zone", "state": "stopped"}, option="zone"),
        Case(m, {"type": "consoleproxy", "hypervisor": "", "state": "stopped"}, option="hypervisor"),
        Case(m, dict(ssvm, version="4.2O"), option="version", quick=True, note="letter O in the version"),
        Case(m, dict(ssvm, version=""), option="version"),
        Case(m, dict(ssvm, version="4.20.1.0\n"), option="version", quick=True),
        Case(m, dict(ssvm, version="9.99"), option="version", note="a version no system VM can report"),
        Case(m, dict(ssvm, version=LONG), option="version", long=LONG),
        # In check mode a template that does not exist yet is documented as no error (an earlier task would
        # register it); nothing may be written either way.
        Case(m, dict(ssvm, template="no-template-has-this-name"), option="template", quick=True, check_expect="any"),
        Case(m, dict(ssvm, template=""), option="template"),
        Case(m, dict(ssvm, template="  "), option="template"),
        Case(m, {"name": "s-1-VM", "state": "recreated", "template": "no-template-has-this-name"},
             option="template", check_expect="any"),
        Case(m, {"name": "s-1-VM", "state": "recreated", "version": "4.2O"}, option="version"),
        Case(m, {"name": "s-1-VM", "state": "migrated", "host": ""}, option="host", quick=True),
        Case(m, {"name": "s-1-VM", "state": "migrated", "host": "no-such-host"}, option="host"),
        Case(m, {"type": "consoleproxy", "state": "migrated", "host": " "}, option="host"),
    ])
    cases += with_check(common_api_cases(m, {"name": "s-1-VM", "state": "restarted"}, True))

    m = "systemvm_template"
    tpl = {"name": "campaign-tpl", "url": "http://download.lab.invalid/campaign.qcow2.bz2", "hypervisor": "KVM",
           "format": "QCOW2"}
    cases += with_check([
        Case(m, dict(tpl, name=""), option="name", quick=True),
        Case(m, dict(tpl, name="a\nb"), option="name", quick=True),
        Case(m, dict(tpl, name=LONG), option="name", long=LONG, quick=True),
        Case(m, dict(tpl, url=""), option="url", quick=True),
        Case(m, dict(tpl, url="http://"), option="url", note="URL with no host"),
        Case(m, dict(tpl, url="http:///systemvm.qcow2"), option="url"),
        Case(m, dict(tpl, url="systemvm.qcow2"), option="url"),
        Case(m, dict(tpl, url="http://" + LONG), option="url", long=LONG),
        Case(m, dict(tpl, hypervisor=""), option="hypervisor"),
        Case(m, dict(tpl, zones=[]), option="zones", quick=True),
        Case(m, dict(tpl, zones=[""]), option="zones"),
        Case(m, dict(tpl, zones=["lab-zone1", ""]), option="zones"),
        Case(m, dict(tpl, zones=["lab-zone1", "no-such-zone"]), option=["zones", "zone"]),
        Case(m, dict(tpl, checksum=""), option="checksum"),
        Case(m, dict(tpl, checksum="{MD5}not-hex"), option="checksum"),
        Case(m, dict(tpl, display_text=""), option="display_text"),
        Case(m, dict(tpl, os_type_id=""), option="os_type_id"),
    ])
    cases += with_check(common_api_cases(m, tpl, True))

    # router_upgrade: without a selector it upgrades every router that needs it, so an empty one must fail.
    m = "router_upgrade"
    cases += with_check([
        Case(m, {"ids": []}, option="ids", quick=True),
        Case(m, {"ids": [""]}, option="ids"),
        Case(m, {"ids": ["", "also-not-a-uuid"]}, option="ids"),
        Case(m, {"ids": [["nested"]]}, option="ids"),
        Case(m, {"ids": [LONG]}, option="ids", long=LONG, quick=True),
        Case(m, {"zone": ""}, option="zone", quick=True),
        Case(m, {"zone": "   "}, option="zone"),
        Case(m, {"pod": ""}, option="pod"),
        Case(m, {"cluster": ""}, option="cluster"),
        Case(m, {"account": ""}, option="account", quick=True),
        Case(m, {"domain_id": ""}, option="domain_id"),
        Case(m, {"zone": "lab-zone2", "wave_size": 0}, option="wave_size", quick=True),
        Case(m, {"zone": "lab-zone2", "wave_size": -3}, option="wave_size"),
        Case(m, {"zone": "lab-zone2", "first_wave_size": 0}, option="first_wave_size"),
        Case(m, {"zone": "lab-zone2", "concurrency": 0}, option="concurrency"),
        Case(m, {"zone": "lab-zone2", "concurrency": -1}, option="concurrency"),
    ])
    cases += with_check(common_api_cases(m, {"zone": "lab-zone2"}, True))
    return cases


def maintenance_cases():
    """host, allocation_state, rolling_maintenance and cluster_info: every one of them but cluster_info takes
    hosts out of service or starts a run over whole clusters, so an empty or unknown target must never mean
    "all" and a refusal must come before any write."""
    cases = []
    uuid0 = "00000000-0000-4000-8000-000000000000"
    m = "host"
    mnt = {"name": "kvm1", "state": "maintenance"}
    cases += with_check([
        Case(m, dict(mnt, name=""), option="name", quick=True),
        Case(m, dict(mnt, name="   "), option="name"),
        Case(m, dict(mnt, name="kvm1\nkvm4"), option="name"),
        Case(m, dict(mnt, name=LONG), option="name", long=LONG, quick=True),
        Case(m, {"id": "", "state": "maintenance"}, option="id"),
        Case(m, {"id": "kvm1", "state": "maintenance"}, option="id", quick=True),
        Case(m, dict(mnt, id=uuid0), option=["name", "id"], note="name and id"),
        Case(m, dict(mnt, name="no-such-host"), option=["name", "no-such-host"]),
        Case(m, dict(mnt, zone=""), option="zone", quick=True),
        Case(m, dict(mnt, cluster="   "), option="cluster"),
        Case(m, dict(mnt, cluster="lab-cluster2"), option=["cluster", "kvm1"], note="host not in that cluster"),
        Case(m, dict(mnt, zone="no-such-zone"), option="zone"),
        Case(m, dict(mnt, state="maint"), option="state"),
        Case(m, {"name": "kvm1"}, option="state", note="state omitted"),
        Case(m, dict(mnt, state=""), option="state"),
        Case(m, dict(mnt, on_error="ignore"), option="on_error"),
        Case(m, dict(mnt, force="perhaps"), option="force"),
        Case(m, dict(mnt, name="s-1-VM"), option=["s-1-VM", "routing"], note="a system VM's host row"),
        # valid input the module must refuse before any write: the last host of its cluster (kvm3 alone in
        # lab-cluster3) cannot hand its VMs to anyone. Check mode may list the drain instead of refusing.
        Case(m, {"name": "kvm3", "state": "maintenance"}, option="kvm3", check_expect="any",
             note="capacity refusal"),
    ])
    cases += with_check(common_api_cases(m, mnt, True))

    m = "allocation_state"
    dis = {"cluster": "lab-cluster1", "state": "disabled"}
    cases += with_check([
        Case(m, dict(dis, cluster=""), option="cluster", quick=True),
        Case(m, dict(dis, cluster="   "), option="cluster"),
        Case(m, dict(dis, cluster="lab-cluster1\nlab-cluster2"), option="cluster"),
        Case(m, dict(dis, cluster=LONG), option="cluster", long=LONG, quick=True),
        Case(m, dict(dis, cluster="no-such-cluster"), option="cluster"),
        Case(m, dict(dis, cluster=["lab-cluster1", "lab-cluster2"]), option="cluster", note="a list"),
        Case(m, dict(dis, zone="lab-zone2"), option="cluster", note="cluster not in that zone"),
        Case(m, dict(dis, pod=""), option="pod"),
        Case(m, {"pod": "  ", "state": "disabled"}, option="pod"),
        Case(m, {"zone": "", "state": "disabled"}, option="zone", quick=True),
        Case(m, {"zone": "no-such-zone", "state": "disabled"}, option="zone"),
        Case(m, {"state": "disabled"}, option="zone", quick=True, note="no target"),
        Case(m, dict(dis, state="Disabled"), option="state"),
        Case(m, dict(dis, state=""), option="state"),
        Case(m, {"cluster": "lab-cluster1"}, option="state", note="state omitted"),
    ])
    cases += with_check(common_api_cases(m, dis, False))

    # rolling_maintenance: with no valid target CloudStack fails the whole call; a scope that is accidentally
    # empty must not turn into another scope.
    m = "rolling_maintenance"
    rm = {"clusters": ["lab-cluster1"]}
    cases += with_check([
        Case(m, {"clusters": []}, option="clusters", quick=True),
        Case(m, {"clusters": [""]}, option="clusters", quick=True),
        Case(m, {"clusters": ["lab-cluster1", ""]}, option="clusters"),
        Case(m, {"clusters": ["  "]}, option="clusters"),
        Case(m, {"clusters": [["nested"]]}, option=["clusters", "['nested']"], note="non-scalar item"),
        Case(m, {"clusters": [LONG]}, option="clusters", long=LONG),
        Case(m, {"hosts": ["no-such-host"]}, option=["hosts", "no-such-host"]),
        Case(m, {"pods": [""]}, option="pods"),
        Case(m, {"zones": []}, option="zones"),
        Case(m, {"zones": ["lab-zone2"], "clusters": ["lab-cluster1"]}, option="clusters", quick=True,
             note="two scopes"),
        Case(m, {}, option="hosts", quick=True, note="no scope"),
        Case(m, dict(rm, timeout=0), option="timeout", quick=True),
        Case(m, dict(rm, timeout=-5), option="timeout"),
        Case(m, dict(rm, timeout=10 ** 12), option="timeout", note="beyond CloudStack's integer"),
        Case(m, dict(rm, payload="a\nb"), option="payload"),
        Case(m, dict(rm, forced="maybe"), option="forced"),
    ])
    cases += with_check(common_api_cases(m, rm, True))

    m = "cluster_info"
    cases += selector_cases(m, {}, ("name",), ids=("id",))
    cases += selector_cases(m, {"name": "lab-cluster1"}, ("zone", "pod"))
    cases += [
        Case(m, {"name": "no-such-cluster"}, option=["name", "no-such-cluster"]),
        Case(m, {"name": "lab-cluster1", "zone": "lab-zone2"}, option=["lab-cluster1", "zone"],
             note="cluster not in that zone"),
        Case(m, {"name": "lab-cluster1", "id": uuid0}, option=["name", "id"]),
        Case(m, {"zone": "lab-zone1"}, option="name", note="no cluster"),
        Case(m, {"name": "lab-cluster1", "running_vms": [""]}, option="running_vms", quick=True),
        Case(m, {"name": "lab-cluster1", "running_vms": ["web-1"]}, option="running_vms"),
        Case(m, {"name": "lab-cluster1", "running_vms": [LONG]}, option="running_vms", long=LONG),
        Case(m, {"name": "lab-cluster1", "running_vms": [["nested"]]}, option="running_vms"),
    ]
    cases += common_api_cases(m, {"name": "lab-cluster1"}, False)
    return cases


def diagnostics_cases():
    """diagnostics and diagnostics_data. Text from the task ends up on a command line in a system VM, so
    anything but the documented characters is refused before anything is sent. diagnostics_data writes under
    {D} (the campaign's own directory) and never takes its SSH way here: with ``fallback: never`` the module may
    not reach out to the hosts' addresses, which only the lab routes."""
    cases = []
    m = "diagnostics"
    ping = {"name": "r-10-VM", "type": "ping", "ipaddress": "10.1.1.1"}
    cases += with_check([
        Case(m, dict(ping, type=""), option="type", quick=True),
        Case(m, dict(ping, type="rm"), option="type"),
        Case(m, dict(ping, type="ping; reboot"), option="type", quick=True),
        Case(m, dict(ping, ipaddress=""), option="ipaddress", quick=True),
        Case(m, dict(ping, ipaddress="10.1.1.1; reboot"), option="ipaddress", quick=True),
        Case(m, dict(ping, ipaddress="10.1.1.1 -c 100000"), option="ipaddress"),
        Case(m, dict(ping, ipaddress="$(reboot)"), option="ipaddress"),
        Case(m, dict(ping, ipaddress="10.1.1.1\n10.1.1.2"), option="ipaddress"),
        Case(m, dict(ping, ipaddress=LONG), option="ipaddress", long=LONG),
        Case(m, dict(ping, params="-c 1; reboot"), option="params", quick=True),
        Case(m, dict(ping, params="$(id)"), option="params"),
        # CloudStack's own check (\s) lets a line break through, and the command line it builds runs in a shell:
        # the second line would run on the KVM host.
        Case(m, dict(ping, params="-c 1\nreboot"), option="params", note="line break"),
        Case(m, dict(ping, name=""), option="name"),
        Case(m, dict(ping, name="no-such-vm"), option=["name", "no-such-vm"]),
        Case(m, {"id": "r-10-VM", "type": "ping", "ipaddress": "10.1.1.1"}, option="id"),
    ])
    cases += with_check(common_api_cases(m, ping, True))

    m = "diagnostics_data"
    data = {"name": "s-1-VM", "dest": "{D}/out", "fallback": "never", "ssh": {"address": "127.0.0.1", "port": 9}}
    cases += with_check([
        Case(m, dict(data, dest=""), option="dest", quick=True),
        Case(m, dict(data, dest="relative/dir"), option="dest", quick=True),
        Case(m, dict(data, dest="{D}/a-file"), option="dest", note="a file"),
        Case(m, dict(data, dest="{D}/" + LONG), option="dest", long=LONG),
        Case(m, dict(data, files=[""]), option="files", quick=True),
        Case(m, dict(data, files=["/var/log/a b.log"]), option="files"),
        Case(m, dict(data, files=["/var/log/x;reboot"]), option="files", quick=True),
        Case(m, dict(data, files=["a,b"]), option="files"),
        Case(m, dict(data, files=["$(reboot)"]), option="files"),
        Case(m, dict(data, files=[["nested"]]), option="files"),
        Case(m, dict(data, max_size=0), option="max_size"),
        Case(m, dict(data, max_size=-1), option="max_size"),
        Case(m, dict(data, url_timeout=0), option="url_timeout"),
        Case(m, dict(data, fallback="sometimes"), option="fallback"),
        Case(m, dict(data, url_ca_file="{D}/missing.pem"), option="url_ca_file"),
        Case(m, dict(data, name=""), option="name"),
        Case(m, dict(data, name="no-such-vm"), option=["name", "no-such-vm"]),
        Case(m, {"id": "s-1-VM", "dest": "{D}/out", "fallback": "never"}, option="id"),
    ])
    cases += with_check(common_api_cases(m, data, True))
    return cases


def second_run_cases():
    """A run that sets a value, then the same run again: CloudStack trims values and stores "null" as empty,
    so the second run must not write again."""
    cases = []
    pairs = [
        {"name": S_TEXT, "value": "campaign-a\n"},
        {"name": S_TEXT, "value": "  campaign-b  "},
        {"name": S_TEXT, "value": "null"},
        {"name": S_TEXT, "value": "\tcampaign-c\r\n"},
        {"name": S_CSV, "value": ["dns_check.py", "disk_space_check.py"]},
        {"name": S_CSV, "value": " dns_check.py, haproxy_check.py "},
        {"name": S_INT, "value": " 86401 "},
        {"name": S_BOOL, "value": "False"},
        {"name": S_DOUBLE, "value": "0.50"},
        {"settings": {S_TEXT: "campaign-d\n", S_INT: "86402\n"}},
    ]
    for i, args in enumerate(pairs):
        cases.append(Case("setting", args, expect="prep"))
        cases.append(Case("setting", args, expect="nochange", quick=i in (0, 2)))
    # Host and allocation states: the same task again, or the same target by another name, changes nothing.
    for module, first, again, quick in (
            ("allocation_state", {"cluster": "lab-cluster2", "state": "disabled"},
             {"cluster": "lab-cluster2", "zone": "lab-zone1", "state": "disabled"}, True),
            ("allocation_state", {"zone": "lab-zone2", "state": "disabled"}, {"zone": "lab-zone2", "state": "disabled"},
             False),
            ("host", {"name": "kvm4", "state": "maintenance"}, {"name": "kvm4", "state": "maintenance"}, True),
            ("host", {"name": "kvm4", "state": "enabled"}, {"name": "kvm4", "cluster": "lab-cluster1",
                                                            "state": "enabled"}, False),
            ("host", {"name": "kvm5", "state": "disabled"}, {"name": "kvm5", "state": "disabled"}, False),
            ("host", {"name": "kvm5", "state": "enabled"}, {"name": "kvm5", "state": "enabled"}, False)):
        cases.append(Case(module, first, expect="prep"))
        cases.append(Case(module, again, expect="nochange", quick=quick))
    return cases


def fault_cases():
    """Slow and hung jobs against wait_timeout, writes lost to a timeout, HTTP errors on reads and writes."""
    c = []

    def hang(cmd):
        return {"kind": "job_hang", "command": cmd}

    def slow(cmd, s):
        return {"kind": "latency", "command": cmd, "seconds": s}

    def http(cmd, st, nth=None):
        return dict({"kind": "http_error", "command": cmd, "status": st}, **({"nth": nth} if nth else {}))

    # A hung or long job keeps its VM busy (later jobs on it queue behind it), so each VM's cases come in an
    # order where nothing waits behind a job of an earlier case, and the hung jobs come last.
    c += [
        # Lost writes: the simulator applies the write after the client gave up.
        Case("setting", {"name": S_TEXT, "value": "lost-1", "api_timeout": 2}, expect="any", lost_write=True,
             faults=[slow("updateConfiguration", 4)], quick=True, note="lost write"),
        Case("setting", {"settings": {S_TEXT: "lost-2", S_INT: "86403"}, "api_timeout": 2}, expect="any",
             lost_write=True, faults=[slow("updateConfiguration", 4)], note="lost write, two settings"),
        Case("systemvm", {"name": "v-4-VM", "state": "stopped", "api_timeout": 2, "wait_timeout": 60}, expect="any",
             lost_write=True, faults=[slow("stopSystemVm", 4)], note="lost write"),
        Case("systemvm", {"name": "s-3-VM", "state": "stopped", "wait_timeout": 4, "api_timeout": 30}, expect="any",
             faults=[slow("stopSystemVm", 8)], bound=4, lost_write=True, note="write slower than wait_timeout"),
        Case("router_upgrade", {"cluster": "lab-cluster1", "api_timeout": 2, "wait_timeout": 60}, expect="any",
             lost_write=True, faults=[slow("upgradeRouterTemplate", 4)], note="lost write"),
        Case("systemvm_template", {"name": "campaign-lost", "url": "http://download.lab.invalid/lost.qcow2.bz2",
                                   "hypervisor": "KVM", "format": "QCOW2", "api_timeout": 2, "wait": False},
             expect="any", lost_write=True, faults=[slow("registerTemplate", 4)], note="lost write"),
        # HTTP and API errors: on a write once, on reads (which may be retried).
        Case("setting", {"name": S_TEXT, "value": "http-1"}, expect="any", faults=[http("updateConfiguration", 503, 1)],
             note="503 on the write"),
        Case("setting", {"name": S_TEXT, "value": "http-2"}, expect="any", faults=[http("updateConfiguration", 502)],
             note="502 on every write"),
        Case("setting", {"name": S_TEXT, "value": "http-3"}, expect="any", faults=[http("listConfigurations", 504, 1)],
             note="504 on a read"),
        Case("systemvm", {"name": "s-1-VM", "state": "restarted", "wait_timeout": 60}, expect="any",
             faults=[http("rebootSystemVm", 500, 1)], note="500 on the write"),
        Case("systemvm", {"name": "v-2-VM", "state": "restarted", "wait_timeout": 60}, expect="any",
             faults=[http("queryAsyncJobResult", 502, 1)], note="502 on a poll"),
        Case("systemvm", {"name": "s-1-VM", "state": "restarted", "wait_timeout": 60}, expect="any",
             faults=[{"kind": "api_error", "command": "rebootSystemVm", "errorcode": 530}], note="API error"),
        Case("systemvm", {"name": "s-1-VM", "state": "restarted", "wait_timeout": 60}, expect="any",
             faults=[{"kind": "job_fail", "command": "rebootSystemVm"}], note="failed job"),
        Case("router_upgrade", {"cluster": "lab-cluster2", "wait_timeout": 60}, expect="any",
             faults=[http("upgradeRouterTemplate", 503, 1)], note="503 on the write"),
        Case("host_info", {"api_timeout": 1}, expect="any", faults=[slow("listHosts", 3)], note="read timeout"),
        Case("systemvm_info", {}, expect="any", faults=[http("listSystemVms", 500)], note="500 on every read"),
        Case("router_info", {}, expect="any", faults=[http("listRouters", 429, 1)], note="429 once"),
        Case("setting_info", {"names": [S_TEXT]}, expect="any",
             faults=[{"kind": "http_error", "command": "listConfigurations", "status": 200, "body": "<html>ok</html>"}],
             note="HTML with status 200"),
        # Slow and hung jobs against wait_timeout.
        Case("systemvm_template", {"name": "campaign-slow", "url": "http://download.lab.invalid/slow.qcow2.bz2",
                                   "hypervisor": "KVM", "format": "QCOW2", "wait_timeout": 5},
             expect="any", durations={"templateDownload": 120}, bound=5, quick=True, note="slow download"),
        Case("systemvm_template", {"name": "campaign-slowpoll", "url": "http://download.lab.invalid/sp.qcow2.bz2",
                                   "hypervisor": "KVM", "format": "QCOW2", "wait_timeout": 6},
             expect="any", faults=[slow("listTemplates", 2.5)], durations={"templateDownload": 120}, bound=6,
             note="slow polls"),
        Case("systemvm", {"name": "v-2-VM", "state": "restarted", "wait_timeout": 6}, expect="any",
             faults=[slow("queryAsyncJobResult", 2.5)], durations={"rebootSystemVm": 60}, bound=6,
             note="slow polls"),
        Case("systemvm", {"name": "s-1-VM", "state": "restarted", "wait_timeout": 5}, expect="any",
             faults=[hang("rebootSystemVm")], bound=5, quick=True, note="hung job"),
        Case("router_upgrade", {"zone": "lab-zone2", "wait_timeout": 5}, expect="any",
             faults=[hang("upgradeRouterTemplate")], bound=5, note="hung job"),
    ]
    # Maintenance and diagnostics: on kvm6 and lab-cluster2, which no earlier case keeps busy (a VM with a hung
    # or long job would hold up a drain); the hung jobs last again.
    c += [
        Case("allocation_state", {"cluster": "lab-cluster2", "state": "disabled", "api_timeout": 2}, expect="any",
             lost_write=True, faults=[slow("updateCluster", 4)], quick=True, note="lost write"),
        Case("allocation_state", {"pod": "lab-pod2", "state": "disabled"}, expect="any",
             faults=[http("updatePod", 503, 1)], note="503 on the write"),
        Case("allocation_state", {"zone": "lab-zone2", "state": "disabled"}, expect="any", lost_write=True,
             faults=[{"kind": "drop_connection", "command": "updateZone"}], note="connection dropped on the write"),
        Case("host", {"name": "kvm6", "state": "disabled"}, expect="any", faults=[http("updateHost", 502, 1)],
             note="502 on the write"),
        Case("host", {"name": "kvm6", "state": "enabled"}, expect="any", note="back (if the write went through)"),
        Case("host", {"name": "kvm6", "state": "maintenance", "wait_timeout": 60}, expect="any",
             faults=[{"kind": "vm_stuck", "vm": "db-2"}], durations={"vmMigration": 0.2},
             note="a VM that cannot move"),
        Case("host", {"name": "kvm6", "state": "maintenance", "wait_timeout": 5}, expect="any",
             faults=[{"kind": "maintenance_stuck", "host": "kvm6"}], bound=5, note="stuck in PrepareForMaintenance"),
        Case("cluster_info", {"name": "lab-cluster2"}, expect="any", faults=[http("listVirtualMachines", 500)],
             note="500 on every read"),
        Case("cluster_info", {"name": "lab-cluster2", "api_timeout": 1}, expect="any", faults=[slow("listHosts", 3)],
             note="read timeout"),
        Case("rolling_maintenance", {"clusters": ["lab-cluster2"], "timeout": 60, "wait_timeout": 60}, expect="any",
             faults=[{"kind": "job_fail", "command": "startRollingMaintenance"}], note="failed job"),
        Case("rolling_maintenance", {"clusters": ["lab-cluster2"], "timeout": 5, "wait_timeout": 60}, expect="any",
             note="timeout under CloudStack's ping interval"),
        Case("rolling_maintenance", {"clusters": ["lab-cluster2"], "api_timeout": 2, "wait_timeout": 60},
             expect="any", lost_write=True, faults=[slow("startRollingMaintenance", 4)], note="lost write"),
        Case("diagnostics", {"name": "r-11-VM", "type": "ping", "ipaddress": "10.1.1.1", "wait_timeout": 5},
             expect="any", faults=[hang("runDiagnostics")], bound=5, note="hung job"),
        Case("rolling_maintenance", {"clusters": ["lab-cluster1"], "wait_timeout": 5}, expect="any",
             faults=[hang("startRollingMaintenance")], bound=5, quick=True, note="hung job"),
        Case("host", {"name": "kvm2", "state": "maintenance", "wait_timeout": 5}, expect="any",
             faults=[hang("prepareHostForMaintenance")], bound=5, note="hung job"),
    ]
    return c


def credential_cases(tmp, endpoint):
    """Credentials in a malformed cloudstack.ini, sent to an endpoint that does not answer, or refused."""
    cases = []
    ini = os.path.join(tmp, "malformed.ini")
    with open(ini, "w") as handle:
        # The secret's line lacks its "=": configparser quotes the broken line in its error.
        handle.write("[cloudstack]\nendpoint = %s\nkey = %s\nsecret %s\n" % (endpoint, CAMPAIGN_KEY, CAMPAIGN_SECRET))
    ini2 = os.path.join(tmp, "badsection.ini")
    with open(ini2, "w") as handle:
        handle.write("key = %s\nsecret = %s\n[cloudstack\n" % (CAMPAIGN_KEY, CAMPAIGN_SECRET))
    no_env = {"CLOUDSTACK_ENDPOINT": "", "CLOUDSTACK_KEY": "", "CLOUDSTACK_SECRET": ""}
    dead = {"api_url": "http://127.0.0.1:9/client/api", "api_key": CAMPAIGN_KEY, "api_secret": CAMPAIGN_SECRET,
            "api_timeout": 2, "api_http_method": "get"}
    wrong = {"api_url": endpoint, "api_key": CAMPAIGN_KEY, "api_secret": CAMPAIGN_SECRET, "api_http_method": "get"}
    for module, base in (("host_info", {}), ("setting", {"name": S_TEXT, "value": "x"}),
                         ("systemvm", {"name": "s-1-VM", "state": "restarted"}),
                         ("router_upgrade", {"zone": "lab-zone2"})):
        quick = module == "host_info"
        cases += [
            Case(module, base, expect="any", env=dict(no_env, CLOUDSTACK_CONFIG=ini), quick=quick,
                 note="malformed cloudstack.ini"),
            Case(module, base, expect="any", env=dict(no_env, CLOUDSTACK_CONFIG=ini2), note="ini without a section"),
            Case(module, dict(base, **dead), expect="any", quick=quick, note="unreachable endpoint, GET"),
            Case(module, dict(base, **wrong), expect="any", note="wrong credentials, GET"),
        ]
    return cases


# ----- host modules: each case gets its own directory D with D/hooks, D/hooks/custom and D/log -----

def host_cases():
    cases = []
    ok_script = "#!/bin/sh\nexit 0\n"

    def hook(args, **kw):
        return Case("libvirt_hook", args, **kw)

    def script(args, **kw):
        return Case("libvirt_hook_script", args, **kw)

    def info(args, **kw):
        return Case("libvirt_hook_info", args, **kw)

    # Paths are written with {D} for the case directory; run_host_group fills it in.
    paths = {"hooks_dir": "{D}/hooks", "custom_dir": "{D}/hooks/custom", "log_path": "{D}/log/qemu-hook.log"}
    cases += with_check([
        hook(dict(paths, hooks_dir="hooks"), option="hooks_dir", quick=True, note="relative"),
        hook(dict(paths, custom_dir="custom"), option="custom_dir", note="relative"),
        hook(dict(paths, log_path="qemu-hook.log"), option="log_path", note="relative"),
        hook(dict(paths, log_path="{D}/log"), option="log_path", quick=True, note="a directory"),
        hook(dict(paths, log_path="{D}/nodir/qemu-hook.log"), option="log_path", quick=True,
             note="missing directory"),
        hook(dict(paths, custom_dir=""), option="custom_dir"),
        hook(dict(paths, hooks_dir=""), option="hooks_dir"),
        hook(dict(paths, timeout=0), option="timeout", quick=True),
        hook(dict(paths, timeout=-1), option="timeout"),
        hook(dict(paths, timeout=10 ** 30), option="timeout", quick=True),
        hook(dict(paths, timeout=86401), option="timeout"),
        hook(dict(paths, grace_period=-1), option="grace_period"),
        hook(dict(paths, grace_period=10 ** 30), option="grace_period"),
        hook(dict(paths, owner="4294967295"), option="owner", quick=True),
        hook(dict(paths, owner="-1"), option="owner"),
        hook(dict(paths, owner=""), option="owner"),
        hook(dict(paths, owner="no-such-user-campaign"), option="owner"),
        hook(dict(paths, group="4294967295"), option="group"),
        hook(dict(paths, custom_dir="{D}/c\nd"), option="custom_dir", note="line break"),
        hook(dict(paths, log_path="{D}/log/a\nb.log"), option="log_path", note="line break"),
        hook(dict(paths, hooks_dir="{D}/h\rooks"), option="hooks_dir", note="carriage return"),
        hook(dict(paths, custom_dir="{D}/" + LONG), option="custom_dir", long=LONG),
    ])
    # Hostile text in the settings the dispatcher carries: refused, or rendered so that it stays text.
    # No "/" in the payloads (the directory's parent must exist); the hook is run from D, so "touch PWNED" lands
    # there (probe_hook looks for PWNED anywhere under D).
    for i, text in enumerate(("c'; touch PWNED; '", "c$(touch PWNED)", "c`touch PWNED`", 'c"; touch PWNED; "',
                              "c\\$(touch PWNED)", "c${IFS}x;touch${IFS}PWNED", "c'$(touch PWNED)'",
                              "@LOG_PATH@", "@TIMEOUT@", "@CUSTOM_DIR@", "@MARKER@", "@ACTIONS@", "c*")):
        cases.append(hook(dict(paths, custom_dir="{D}/hooks/" + text), expect="any", probe=True,
                          quick=i in (0, 1, 6), note="hostile custom_dir"))
    for text in ("q'; touch PWNED; '.log", "q$(touch PWNED).log", "q`touch PWNED`.log", "@CUSTOM_DIR@.log"):
        cases.append(hook(dict(paths, log_path="{D}/log/" + text), expect="any", probe=True, note="hostile log_path"))
    # No traceback over files that are not UTF-8.
    bad_hook = [("file", "hooks/qemu", b"#!/bin/sh\n# \xff\xfe\xc3 not utf-8\nexit 0\n", 0o755)]
    cases += [
        hook(dict(paths, force=True), expect="any", diff=True, setup=bad_hook, quick=True,
             note="--diff over non-UTF-8"),
        hook(dict(paths, force=True), expect="any", diff=True, check=True, setup=bad_hook,
             note="--diff over non-UTF-8"),
        hook(dict(paths), option="force", diff=True, setup=bad_hook, note="other hook, no force"),
        hook(dict(paths, state="absent"), expect="any", diff=True, setup=bad_hook, note="absent, other hook"),
    ]

    sp = {"custom_dir": "{D}/hooks/custom"}
    good = dict(sp, name="10-ok.sh", content=ok_script)
    cases += with_check([
        script(dict(good, name=""), option="name", quick=True),
        script(dict(good, name="   "), option="name", quick=True),
        script(dict(good, name="a/b.sh"), option="name"),
        script(dict(good, name="../../escape.sh"), option="name", quick=True),
        script(dict(good, name=".."), option="name"),
        script(dict(good, name="x\ny.sh"), option="name"),
        script(dict(good, name=LONG), option="name", long=LONG),
        script(dict(good, actions=[]), option="actions", quick=True),
        script(dict(good, actions=[""]), option="actions"),
        script(dict(good, actions=["start", ""]), option="actions"),
        script(dict(good, actions=["all", "start"]), option="actions"),
        script(dict(good, actions=["bogus"]), option="actions"),
        script(dict(good, actions=[["start"]]), option="actions", note="non-scalar item"),
        script(dict(good, actions=[{"start": 1}]), option="actions"),
        script(dict(good, content=None), option=["content", "src"], quick=True),
        script(dict(sp, name="10-ok.sh"), option=["content", "src"], note="neither content nor src"),
        script(dict(good, content=""), option="content"),
        script(dict(good, content="echo no shebang\n"), option="content", quick=True),
        script(dict(good, content=LONG), option="content", long=LONG),
        script(dict(sp, name="10-ok.sh", src="relative.sh"), option="src"),
        script(dict(sp, name="10-ok.sh", src="{D}/missing.sh"), option="src"),
        script(dict(sp, name="10-ok.sh", src="{D}/log"), option="src", quick=True, note="a directory"),
        script(dict(sp, name="10-ok.sh", src="{D}/fifo"), option="src", setup=[("fifo", "fifo")], note="a FIFO"),
        script(dict(good, src="{D}/x.sh"), option=["content", "src"], note="content and src"),
        script(dict(good, mode="999"), option="mode", quick=True),
        script(dict(good, mode="rwxr-xr-x"), option="mode"),
        script(dict(good, mode="0755\n"), option="mode"),
        script(dict(good, mode=-1), option="mode"),
        script(dict(good, mode=[]), option="mode"),
        script(dict(good, mode=float("nan")), option="mode"),
        script(dict(good, owner="4294967295"), option="owner", quick=True),
        script(dict(good, group="4294967295"), option="group"),
        script(dict(good, owner="root\nx"), option="owner"),
        script(dict(good, custom_dir="custom"), option="custom_dir", note="relative"),
        script(dict(good, custom_dir=""), option="custom_dir"),
        script(dict(good, custom_dir="{D}/c\nd"), option="custom_dir"),
        script(dict(good, custom_dir="{D}/log/qemu-hook.log"), option="custom_dir", note="a file",
               setup=[("file", "log/qemu-hook.log", b"", 0o644)]),
    ])
    nonutf8 = [("file", b"hooks/custom/all_\xff\xfe-legacy.sh", b"#!/bin/sh\nexit 0\n", 0o755),
               ("file", b"hooks/custom/start_10-ok.sh\xe9", b"#!/bin/sh\nexit 0\n", 0o755),
               ("file", b"hooks/custom/\xc3(-noaction", b"x", 0o644)]
    cases += [
        script(dict(good), expect="any", setup=nonutf8, quick=True, note="non-UTF-8 names beside"),
        script(dict(good, state="absent"), expect="any", setup=nonutf8, note="non-UTF-8 names beside"),
        script(dict(sp, name="10-ok.sh", src="{D}/unreadable.sh"), expect="any",
               setup=[("file", "unreadable.sh", b"#!/bin/sh\nexit 0\n", 0o000)], note="mode 000 src"),
        script(dict(sp, name="10-bin.sh", src="{D}/bin.sh"), expect="any", diff=True,
               setup=[("file", "bin.sh", b"#!/bin/sh\n\xff\xfe\x00\x01\n", 0o755)], note="--diff, non-UTF-8 src"),
        script(dict(good), expect="any", diff=True,
               setup=[("file", "hooks/custom/all_10-ok.sh", b"#!/bin/sh\n\xff\n", 0o755)],
               note="--diff over non-UTF-8 script"),
    ]

    ip = {"hooks_dir": "{D}/hooks", "custom_dir": "{D}/hooks/custom"}
    cases += [
        info(dict(ip, hooks_dir="hooks"), option="hooks_dir", quick=True),
        info(dict(ip, custom_dir="custom"), option="custom_dir"),
        info(dict(ip, custom_dir=""), option="custom_dir"),
        info(dict(ip, hooks_dir=""), option="hooks_dir"),
        info(dict(ip, custom_dir="{D}/c\nd"), option="custom_dir"),
        info(dict(ip, custom_dir="{D}/" + LONG), option="custom_dir", long=LONG),
        info(dict(ip, custom_dir="{D}/log/qemu-hook.log"), option="custom_dir", note="a file",
             setup=[("file", "log/qemu-hook.log", b"", 0o644)]),
        info(dict(ip), expect="any", setup=nonutf8, quick=True, note="non-UTF-8 names"),
        info(dict(ip), expect="any", setup=bad_hook, note="non-UTF-8 hook"),
        info(dict(ip), expect="any", setup=bad_hook + nonutf8, note="both"),
    ]

    # Second runs: the same task again, or an equivalent spelling, changes nothing.
    seconds = [
        (hook, dict(paths, timeout=120), dict(paths, timeout=120)),
        (hook, dict(paths), dict(paths, owner="0", group="0")),
        (script, dict(good), dict(good)),
        (script, dict(good, actions=["start", "stopped"]), dict(good, actions=["stopped", "start", "start"])),
        (script, dict(good), dict(good, mode="755")),
        (script, dict(good, mode="0700"), dict(good, mode=0o700)),
    ]
    for i, (make, first, again) in enumerate(seconds):
        # The pair shares one directory: the prep case creates it, the counted case runs over it.
        cases.append(make(first, expect="prep"))
        cases.append(make(again, expect="nochange", quick=i in (0, 2), note="second run"))

    # rolling_maintenance_scripts: stage scripts in {D}/rm and the agent's properties in {D}/agent.properties.
    def stages(args, **kw):
        return Case("rolling_maintenance_scripts", args, **kw)

    props = [("file", "agent.properties", b"# agent\nguid=campaign\nhost=10.1.1.1\n", 0o644)]
    rp = {"hooks_dir": "{D}/rm", "agent_properties": "{D}/agent.properties"}
    one = dict(rp, scripts=[{"stage": "Maintenance", "content": ok_script}])

    def item(**kw):
        return dict(rp, scripts=[dict({"stage": "Maintenance", "content": ok_script}, **kw)])

    cases += with_check([
        stages(dict(one, hooks_dir=""), option="hooks_dir", setup=props, quick=True),
        stages(dict(one, hooks_dir="rm"), option="hooks_dir", setup=props, note="relative"),
        stages(dict(one, hooks_dir="/"), option="hooks_dir", setup=props, quick=True),
        stages(dict(one, hooks_dir="{D}/a,b"), option="hooks_dir", setup=props, quick=True),
        stages(dict(one, hooks_dir="{D}/it's"), option="hooks_dir", setup=props),
        stages(dict(one, hooks_dir="{D}/r\nm"), option="hooks_dir", setup=props, quick=True, note="line break"),
        stages(dict(one, hooks_dir="{D}/" + "h" * 240), option="hooks_dir", setup=props,
               note="unit names over 255 characters"),
        stages(dict(one, hooks_dir="{D}/" + LONG), option="hooks_dir", setup=props, long=LONG),
        stages(dict(one, hooks_dir="{D}/log/x.log"), option="hooks_dir", note="a file",
               setup=props + [("file", "log/x.log", b"", 0o644)]),
        stages(item(stage="preflight"), option="stage", setup=props, quick=True, note="wrong case"),
        stages(item(stage="Reboot"), option="stage", setup=props),
        stages(item(stage=""), option="stage", setup=props),
        stages(item(stage="Maintenance.sh"), option="stage", setup=props),
        stages(dict(rp, scripts=[{"stage": "Maintenance", "content": ok_script},
                                 {"stage": "Maintenance", "content": ok_script}]), option="stage", setup=props,
               note="a stage twice"),
        stages(dict(rp, scripts=[{"stage": "Maintenance"}]), option="content", setup=props, quick=True,
               note="neither content nor src"),
        stages(item(src="{D}/x.sh"), option=["content", "src"], setup=props, note="content and src"),
        stages(item(content="echo no shebang\n"), option=["content", "#!"], setup=props, quick=True),
        stages(item(content=""), option=["content", "#!"], setup=props),
        stages(dict(rp, scripts=[{"stage": "Maintenance", "src": "relative.sh"}]), option="src", setup=props),
        stages(dict(rp, scripts=[{"stage": "Maintenance", "src": "{D}/missing.sh"}]), option="src", setup=props),
        stages(dict(rp, scripts=[{"stage": "Maintenance", "src": "{D}/log"}]), option="src", setup=props,
               note="a directory"),
        stages(item(state="absent"), option="content", setup=props, note="absent with content"),
        stages(item(state="gone"), option="state", setup=props),
        stages(item(extension=".bash"), option="extension", setup=props),
        stages(dict(one, scripts="Maintenance"), option="scripts", setup=props, note="a string"),
        stages(dict(one, scripts=[None]), option="scripts", setup=props),
        stages(dict(one, scripts=[["Maintenance"]]), option="scripts", setup=props),
        stages(dict(one, executor="systemd"), option="executor", setup=props),
        stages(dict(one, agent_properties=""), option="agent_properties", setup=props),
        stages(dict(one, agent_properties="agent.properties"), option="agent_properties", setup=props,
               note="relative"),
        stages(dict(one, agent_properties="{D}/nodir/agent.properties"), option="agent_properties", setup=props,
               quick=True, note="missing directory"),
        stages(dict(one, agent_properties="{D}/log"), option="agent_properties", setup=props, note="a directory"),
        stages(dict(one, mode="999"), option="mode", setup=props, quick=True),
        stages(dict(one, mode="rwxr-xr-x"), option="mode", setup=props),
        stages(dict(one, mode="0755\n"), option="mode", setup=props),
        stages(dict(one, mode=[]), option="mode", setup=props),
        stages(dict(one, owner="4294967295"), option="owner", setup=props),
        stages(dict(one, group="no-such-group-campaign"), option="group", setup=props),
    ])
    # No traceback over files that are not UTF-8 (agent.properties, a script already there).
    bad_props = [("file", "agent.properties", b"# \xff\xfe agent\nguid=campaign\nrolling.maintenance.hooks.dir=\xe9\n",
                  0o644)]
    cases += [
        stages(dict(one), expect="any", diff=True, setup=bad_props, quick=True,
               note="--diff over non-UTF-8 agent.properties"),
        stages(dict(one), expect="any", diff=True, check=True, setup=bad_props,
               note="--diff over non-UTF-8 agent.properties"),
        stages(dict(one), expect="any", diff=True,
               setup=props + [("file", "rm/Maintenance", b"#!/bin/sh\n\xff\n", 0o755)],
               note="--diff over a non-UTF-8 script"),
        stages(dict(rp, scripts=[{"stage": "Maintenance", "state": "absent"}]), expect="any", diff=True,
               setup=props + [("file", "rm/Maintenance.py", b"#!/usr/bin/python3\n", 0o755),
                              ("file", "rm/Maintenance.sh", b"#!/bin/sh\n", 0o755)], note="absent, two variants"),
    ]
    stage_seconds = [
        (dict(one), dict(one)),
        (dict(one, executor="agent"), dict(one, executor="agent", mode="755")),
        (item(extension=".sh"), item(extension=".sh", mode=0o755)),
    ]
    for i, (first, again) in enumerate(stage_seconds):
        cases.append(stages(first, expect="prep", setup=props))
        cases.append(stages(again, expect="nochange", quick=i == 0, note="second run"))
    return cases


# ----------------------------------------------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------------------------------------------

def write_callback(directory):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "campaign_recorder.py"), "w") as handle:
        handle.write(CALLBACK)


def fill(value, directory):
    """``value`` with {D} replaced by the case's directory, in strings, lists and dicts."""
    if isinstance(value, str):
        return value.replace("{D}", directory)
    if isinstance(value, list):
        return [fill(item, directory) for item in value]
    if isinstance(value, dict):
        return dict((key, fill(item, directory)) for key, item in value.items())
    return value


def yaml_safe(value):
    """Floats YAML cannot carry (nan, inf) as Jinja expressions Ansible turns into the float."""
    if isinstance(value, float) and math.isnan(value):
        return "{{ 'nan' | float }}"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "{{ '%s' | float }}" % value
    if isinstance(value, list):
        return [yaml_safe(item) for item in value]
    if isinstance(value, dict):
        return dict((key, yaml_safe(item)) for key, item in value.items())
    return value


def run_playbook(tmp, name, cases, env, watch=None, control=None):
    """One playbook of ``cases`` (ids set); returns (records by id, stdout, log text, wall seconds)."""
    work = os.path.join(tmp, name)
    os.makedirs(work, exist_ok=True)
    write_callback(os.path.join(work, "callbacks"))
    meta = {}
    tasks = []
    for case in cases:
        meta[case.id] = {"faults": case.faults, "durations": case.durations}
        task = OrderedDict(name=case.id)
        task["csops.cloudstack." + case.module] = yaml_safe(case.args)
        task["register"] = "r_" + case.id.replace("-", "_")
        task["ignore_errors"] = True
        if case.check:
            task["check_mode"] = True
        if case.diff:
            task["diff"] = True
        if case.env:
            task["environment"] = case.env
        tasks.append(dict(task))
    play = {"hosts": "localhost", "gather_facts": False, "tasks": tasks}
    playbook = os.path.join(work, "play.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump([play], handle, sort_keys=False, width=10 ** 6)
    cases_file = os.path.join(work, "cases.json")
    with open(cases_file, "w") as handle:
        json.dump(meta, handle)
    record = os.path.join(work, "record.jsonl")
    log = os.path.join(work, "ansible.log")
    run_env = dict(os.environ)
    run_env.update(env)
    run_env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_CALLBACK_PLUGINS=os.path.join(work, "callbacks"),
        ANSIBLE_CALLBACKS_ENABLED="campaign_recorder",
        ANSIBLE_DISPLAY_TRACEBACK="always",
        ANSIBLE_LOG_PATH=log,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_PIPELINING="True",
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        CAMPAIGN_CASES=cases_file,
        CAMPAIGN_RECORD=record,
        CAMPAIGN_WATCH=watch or "",
        CAMPAIGN_CONTROL=control or "",
    )
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-vvv", playbook]
    started = time.monotonic()
    proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True, errors="replace", cwd=work,
                          check=False, timeout=3600)
    wall = time.monotonic() - started
    records = {}
    if os.path.exists(record):
        with open(record) as handle:
            for line in handle:
                entry = json.loads(line)
                records[entry["id"]] = entry
    logged = ""
    if os.path.exists(log):
        with open(log, errors="replace") as handle:
            logged = handle.read()
    return records, proc.stdout + proc.stderr, logged, wall


def segments(text, ids):
    """Split Ansible output at its "TASK [<id>]" headers: {id: text of that task}, "" for the rest."""
    out = {"": ""}
    pattern = re.compile(r"TASK \[(c\d{4})\]")
    pos = 0
    current = ""
    for match in pattern.finditer(text):
        out[current] = out.get(current, "") + text[pos:match.start()]
        current = match.group(1) if match.group(1) in ids else ""
        pos = match.start()
    out[current] = out.get(current, "") + text[pos:]
    return out


def crash_lines(text, msg=""):
    """The exceptions of the tracebacks in ``text`` that are crashes, and any "MODULE FAILURE".

    With ANSIBLE_DISPLAY_TRACEBACK=always, ansible-core 2.19 shows a traceback for every failed task: where the
    module called fail_json (the block ends with "Message: <msg>", or, when fail_json was called while handling
    the module's own typed error, with that error, whose text is the task's ``msg``), then the controller's own
    wrapping of the failure (AnsibleModuleCapturedError, AnsibleTaskError...). Those are how a clean failure is
    displayed; a block ending in any other exception (KeyError, ValueError, a result that is not JSON) is a
    crash."""
    found = [line.strip() for line in text.splitlines() if "MODULE FAILURE" in line]
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("Traceback (most recent call last)"):
            continue  # a traceback quoted inside a JSON result is judged from the result itself
        last = ""
        cause = False
        for follow in lines[i + 1:]:
            if follow.lstrip().startswith("Traceback (most recent call last)"):
                break
            if follow.strip() and not follow[:1].isspace() and not last:
                last = follow.strip()
            if follow.strip() in CHAINED:
                # Caught and turned into the next block (fail_json in an except clause): that block decides.
                cause = True
                break
        if cause or last.startswith("Message:") or any(word in last for word in CONTROLLER_WRAPPERS):
            continue
        said = last.split(": ", 1)[1].strip() if ": " in last else ""
        if said and msg and (said in msg or msg.strip() in said):
            continue  # the module's typed error, caught and reported by fail_json as the task's message
        found.append(last or "Traceback")
    return found


def write_key(entry):
    params = dict((k, v) for k, v in (entry.get("params") or {}).items() if k.lower() not in SIGNING_KEYS)
    return entry.get("command"), json.dumps(params, sort_keys=True)


def judge(case, rec, out_text, log_text, requests, slack=BOUND_SLACK):
    """The findings of one case: {column: [reason, ...]}."""
    found = dict((col, []) for col in COLUMNS[1:])
    if rec is None:
        found["tracebacks"].append("the task left no result (the playbook stopped?)")
        return found
    result = rec.get("result") or {}
    res_text = json.dumps(result, default=repr)
    msg = result.get("msg")
    msg = msg if isinstance(msg, str) else json.dumps(msg, default=repr) if msg is not None else ""
    failed = rec.get("status") == "failed" or bool(result.get("failed"))

    res_raw = "\n".join(str(result.get(key) or "") for key in ("exception", "module_stderr", "module_stdout", "msg"))
    for where, text in (("stdout", out_text), ("log", log_text), ("result", res_raw)):
        crashes = crash_lines(text, msg)
        if crashes:
            found["tracebacks"].append("%s in %s" % (crashes[0][:120], where))
    if failed and msg.startswith(SYNTHESIZED):
        found["tracebacks"].append("Ansible reported the failure for the module: %s" % msg[:120])
    for secret in SECRETS:
        for where, text in (("stdout", out_text), ("log", log_text), ("result", res_text)):
            if secret in text:
                found["leaks"].append("%s... in %s" % (secret[:6], where))

    if case.expect != "prep":
        if failed:
            if not msg.strip():
                found["unclear"].append("failed without a message")
            elif "\n" in msg.strip():
                found["unclear"].append("message of %d lines" % (msg.strip().count("\n") + 1))
            if len(msg) > MAX_MSG:
                found["unclear"].append("message of %d characters" % len(msg))
            if case.long and case.long[:100] in msg:
                found["unclear"].append("message echoes the %d-character input" % len(case.long))
            if case.expect == "fail" and case.option and not any(o.lower() in msg.lower() for o in case.option):
                found["unclear"].append("message does not name %s" % "/".join(case.option))
        elif case.expect == "fail":
            found["unclear"].append("bad input accepted (%s)" % ("changed" if result.get("changed") else "ok"))
        if case.lost_write:
            if not failed:
                found["unclear"].append("a write that timed out was not reported")
            elif "may have been made" not in msg.lower():
                found["unclear"].append("lost write not reported as one that may have been made")

    writes = [entry for entry in requests if entry.get("write")]
    if case.expect != "prep":
        if writes and (case.expect in ("fail", "nochange") or case.check):
            found["state_changed"].append("writes: %s" % ", ".join(sorted(set(e["command"] for e in writes))))
        if rec.get("files_changed") and (case.expect in ("fail", "nochange") or case.check):
            shown = [p.rsplit("/", 2)[-2:] for p in rec["files_changed"][:3]]
            found["state_changed"].append("files: %s" % ", ".join("/".join(p) for p in shown))
        if case.expect == "nochange" and result.get("changed"):
            found["state_changed"].append("second run reported changed")
    counts = Counter(write_key(entry) for entry in writes)
    for (command, _params), count in counts.items():
        if count > 1:
            found["duplicate_writes"].append("%s sent %d times" % (command, count))
    if case.bound is not None and rec.get("elapsed", 0) > case.bound + slack:
        found["bound_overruns"].append("ran %.1f s with wait_timeout %s (allowed %.1f s over it)"
                                       % (rec["elapsed"], case.bound, slack))
    return found


def probe_hook(case):
    """Run the dispatcher a hostile-settings case installed the way libvirt runs it; returns findings."""
    hook = os.path.join(case.dir, "hooks", "qemu")
    if not os.path.isfile(hook):
        return []  # refused: nothing to run
    custom = case.args.get("custom_dir") or os.path.join(case.dir, "hooks", "custom")
    try:
        os.makedirs(custom, exist_ok=True)
        ran = os.path.join(case.dir, "RAN")
        probe = os.path.join(custom, "all_00-probe.sh")
        with open(probe, "w") as handle:
            handle.write("#!/bin/sh\ntouch '%s'\n" % ran.replace("'", "'\\''"))
        os.chmod(probe, 0o755)
    except OSError as exc:
        return ["could not prepare the probe: %s" % exc]
    xml = "<domain type='kvm'><name>campaign-guest</name></domain>"
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
    try:
        subprocess.run([hook, "campaign-guest", "start", "begin", "-"], input=xml, text=True, env=env,
                       cwd=case.dir, capture_output=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return ["the hook did not finish in 20 s"]
    found = []
    if any("PWNED" in files for _top, _dirs, files in os.walk(case.dir)):
        found.append("injected command ran")
    if not os.path.exists(ran):
        found.append("the hook did not run the script in the custom_dir it was given")
    return found


def prepare_host_case(case, root, index, reuse=None):
    case.dir = reuse or os.path.join(root, "c%04d" % index)
    if reuse is None:
        for sub in ("hooks/custom", "log"):
            os.makedirs(os.path.join(case.dir, sub), exist_ok=True)
    for op in case.setup:
        if op[0] == "file":
            rel = op[1] if isinstance(op[1], bytes) else op[1].encode()
            path = os.path.join(case.dir.encode(), rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(op[2])
            os.chmod(path, op[3])
        elif op[0] == "fifo":
            os.mkfifo(os.path.join(case.dir, op[1]))
    case.args = fill(case.args, case.dir)


def select(cases, quick, only):
    out = []
    for i, case in enumerate(cases):
        if only and case.module not in only:
            continue
        if quick and not case.quick:
            # A prep case belongs to the counted case after it.
            nxt = cases[i + 1] if i + 1 < len(cases) else None
            if not (case.expect == "prep" and nxt is not None and nxt.quick):
                continue
        out.append(case)
    return out


def run_api_group(tmp, name, cases):
    """Run API ``cases`` against a simulator of their own; returns (cases, records, stdout, log, control, wall)."""
    with PrivateSimulator() as sim:
        env = {"CLOUDSTACK_ENDPOINT": sim.endpoint, "CLOUDSTACK_KEY": DEFAULT_API_KEY,
               "CLOUDSTACK_SECRET": DEFAULT_SECRET_KEY}
        cases = cases(sim.endpoint) if callable(cases) else cases
        records, out, logged, wall = run_playbook(tmp, name, cases, env, control=sim.endpoint[:-len("/client/api")])
        # The request log is read while the simulator still runs.
        requests = sim.control.requests(0)
    return cases, records, out, logged, requests, wall


def run_host_group(tmp, cases):
    root = os.path.join(tmp, "host-tree")
    os.makedirs(root, exist_ok=True)
    previous = None
    for i, case in enumerate(cases):
        # A counted second run shares its prep case's directory.
        reuse = previous.dir if previous is not None and previous.expect == "prep" else None
        prepare_host_case(case, root, i, reuse)
        previous = case
    records, out, logged, wall = run_playbook(tmp, "host", cases, {}, watch=root)
    injections = dict((c.id, probe_hook(c)) for c in cases if c.probe)
    return cases, records, out, logged, injections, wall


def campaign(quick=False, only=(), keep=None, jobs=4, progress=print):
    """Run the campaign; returns {"rows": {module: {column: n}}, "findings": [...], "wall": s, "runs": n}.

    The groups run side by side (``jobs`` playbooks at a time), each API group with a simulator of its own."""
    tmp_obj = None
    if keep:
        os.makedirs(keep, exist_ok=True)
        tmp = keep
    else:
        tmp_obj = tempfile.TemporaryDirectory(prefix="bad-input-")
        tmp = tmp_obj.name
    started = time.monotonic()
    findings = []
    rows = OrderedDict((m, dict((c, 0) for c in COLUMNS)) for m in API_MODULES + HOST_MODULES)

    def ids(cases, first):
        for n, case in enumerate(cases):
            case.id = "c%04d" % (first + n)
        return cases

    def account(cases, records, out, logged, requests=None, extra=None, slack=BOUND_SLACK):
        out_seg = segments(out, set(c.id for c in cases))
        log_seg = segments(logged, set(c.id for c in cases))
        for case in cases:
            rec = records.get(case.id)
            reqs = []
            if requests is not None and rec and rec.get("mark0") is not None:
                reqs = [e for e in requests if rec["mark0"] <= e["index"] < rec["mark1"]]
            found = judge(case, rec, out_seg.get(case.id, ""), log_seg.get(case.id, ""), reqs, slack)
            if extra:
                found["injections"] = extra.get(case.id, [])
            if case.expect == "prep":
                # Set-up runs are not counted, but a traceback or a leak there is still a finding.
                found = {"tracebacks": found["tracebacks"], "leaks": found["leaks"]}
            else:
                rows[case.module]["runs"] += 1
            for col, reasons in found.items():
                if reasons:
                    rows[case.module][col] += 1
                    findings.append({"case": case.id, "module": case.module, "column": col, "input": case.short(),
                                     "symptom": "; ".join(reasons),
                                     "msg": str((rec or {}).get("result", {}).get("msg", ""))[:300]})
        # Leaks outside any task (the play's header, the recap) are findings too.
        for where, seg in (("stdout", out_seg.get("", "")), ("log", log_seg.get("", ""))):
            for secret in SECRETS:
                if secret in seg:
                    findings.append({"case": "-", "module": "(playbook)", "column": "leaks",
                                     "input": "", "symptom": "%s... in %s outside tasks" % (secret[:6], where)})

    def picked(cases, first):
        return ids(select(cases, quick, only), first)

    work = []
    bad = api_cases()
    # diagnostics_data writes its zips under {D}: a directory of this run, with a file where a case wants one.
    diag_dir = os.path.join(tmp, "diagnostics")
    os.makedirs(diag_dir, exist_ok=True)
    with open(os.path.join(diag_dir, "a-file"), "w") as handle:
        handle.write("not a directory\n")
    diag = diagnostics_cases()
    for case in diag:
        case.args = fill(case.args, diag_dir)
    for name, modules, first, cases in (
            ("api-settings", ("setting", "setting_info"), 1, bad),
            ("api-info", ("host_info", "systemvm_info", "router_info"), 501, bad),
            ("api-systemvm", ("systemvm", "systemvm_template", "router_upgrade"), 1001, bad),
            ("api-maintenance", MAINTENANCE_MODULES, 1501, maintenance_cases()),
            ("api-diagnostics", DIAGNOSTICS_MODULES, 1801, diag),
            ("second-runs", API_MODULES, 2001, second_run_cases()),
            ("faults", API_MODULES, 2501, fault_cases())):
        cases = picked([c for c in cases if c.module in modules], first)
        if cases:
            work.append((name, "api", cases))
    if any(not only or m in only for m in API_MODULES):
        # Credential cases need the endpoint of their simulator; their ids come after the others'.
        probe = picked(credential_cases(tmp, "http://127.0.0.1:1/client/api"), 3001)
        if probe:
            work.append(("credentials", "api", lambda endpoint: picked(credential_cases(tmp, endpoint), 3001)))
    host = picked(host_cases(), 4001)
    if host:
        work.append(("host", "host", host))

    def run(item):
        name, kind, cases = item
        if kind == "api":
            return name, kind, run_api_group(tmp, name, cases)
        return name, kind, run_host_group(tmp, cases)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            done = list(pool.map(run, work))
        quick_fails = [records[c.id]["elapsed"] for _n, kind, (cases, records, _o, _l, _e, _w) in done
                       if kind == "api" for c in cases
                       if c.expect == "fail" and records.get(c.id, {}).get("status") == "failed"]
        slack = max(BOUND_SLACK, statistics.median(quick_fails) + 1.5) if quick_fails else BOUND_SLACK
        for name, kind, (cases, records, out, logged, extra, wall) in done:
            progress("%-14s %4d runs in %6.1f s" % (name, len(cases), wall))
            if kind == "api":
                account(cases, records, out, logged, requests=extra, slack=slack)
            else:
                account(cases, records, out, logged, extra=extra)
        progress("a task may run %.1f s past its wait_timeout (Ansible's own cost on this machine now)" % slack)
    finally:
        if tmp_obj is not None:
            # Directories made unreadable or FIFOs do not stop the clean-up.
            for top, dirs, _files in os.walk(tmp):
                for d in dirs:
                    try:
                        os.chmod(os.path.join(top, d), stat.S_IRWXU)
                    except OSError:
                        pass
            shutil.rmtree(tmp, ignore_errors=True)
    total = dict((c, sum(row[c] for row in rows.values())) for c in COLUMNS)
    rows = OrderedDict((m, r) for m, r in rows.items() if r["runs"])
    rows["total"] = total
    return {"rows": rows, "findings": findings, "wall": time.monotonic() - started, "runs": total["runs"]}


def table(rows):
    lines = ["| module | " + " | ".join(HEADINGS) + " |", "|---|" + "---:|" * len(HEADINGS)]
    for module, row in rows.items():
        name = "**total**" if module == "total" else "`%s`" % module
        lines.append("| %s | %s |" % (name, " | ".join(str(row[c]) for c in COLUMNS)))
    return "\n".join(lines)


def failures(rows):
    """Sum of every column but runs in the total row."""
    return sum(rows["total"][c] for c in COLUMNS[1:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the subset the integration test runs")
    parser.add_argument("--only", default="", help="comma-separated module names")
    parser.add_argument("--allow-failures", action="store_true", help="report, and exit 0 whatever was found")
    parser.add_argument("--details", action="store_true", help="print every finding (module, case, symptom)")
    parser.add_argument("--json", help="write the table and the findings to this file")
    parser.add_argument("--jobs", type=int, default=4, help="playbooks run side by side (default 4)")
    parser.add_argument("--keep", help="run in this directory and keep playbooks, logs and records")
    args = parser.parse_args(argv)
    only = tuple(m for m in args.only.split(",") if m)
    unknown = [m for m in only if m not in API_MODULES + HOST_MODULES]
    if unknown:
        parser.error("--only: unknown module %s" % ", ".join(unknown))
    report = campaign(quick=args.quick, only=only, keep=args.keep, jobs=args.jobs)
    print()
    print(table(report["rows"]))
    print("\n%d runs in %.0f s" % (report["runs"], report["wall"]))
    if args.details:
        for f in report["findings"]:
            print("%s %-20s %-16s %s -- %s%s" % (f["case"], f["module"], f["column"], f["input"], f["symptom"],
                                                 (" -- msg: " + f["msg"][:200].replace("\n", "\\n")) if f.get("msg")
                                                 else ""))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=1, default=repr)
    bad = failures(report["rows"])
    return 1 if bad and not args.allow_failures else 0


if __name__ == "__main__":
    sys.exit(main())
