"""The rendered bash dispatcher, run as libvirt runs it, against scripts in a temporary directory.

No libvirt is needed: each test calls the dispatcher with the four hook arguments and XML on stdin, with the
environment libvirt gives hooks, and reads what the scripts recorded and what the log says.
"""

import os
import random
import re
import subprocess
import time

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils import libvirt_hook as lh
from ansible_collections.csops.cloudstack.plugins.module_utils._host.qemu_dispatcher import (
    DispatcherSettingsError,
    render,
    settings_of,
)

ENV = {"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
XML = "<domain type='kvm'>\n  <name>i-2-42-VM</name>\n</domain>\n"
RECORD = """#!/bin/sh
xml=$(cat)
printf '%%s|%%s|%%s|%%s|%%s|%%s\\n' "${0##*/}" "$1" "$2" "$3" "$4" "$(printf %%s "$xml" | tr '\\n' '~')" >> %s
"""


class Hook:
    def __init__(self, tmp_path, timeout=600, grace=10):
        self.custom = tmp_path / "custom"
        self.custom.mkdir()
        self.log = tmp_path / "qemu-hook.log"
        self.records = tmp_path / "records"
        self.path = tmp_path / "qemu"
        self.path.write_text(render(str(self.custom), str(self.log), timeout, grace))
        self.path.chmod(0o755)

    def add(self, name, body=None, mode=0o755):
        path = self.custom / name
        path.write_text(body if body is not None else RECORD % self.records)
        path.chmod(mode)
        return path

    def __call__(self, *args, xml=XML):
        return subprocess.run([str(self.path)] + list(args), input=xml, capture_output=True, text=True,
                              env=ENV, timeout=60, check=False)

    def calls(self):
        if not self.records.exists():
            return []
        return [line.split("|") for line in self.records.read_text().splitlines()]

    def logged(self):
        return self.log.read_text() if self.log.exists() else ""


@pytest.fixture
def hook(tmp_path):
    return Hook(tmp_path)


def test_runs_action_and_all_scripts_in_order_with_args_and_xml(hook):
    for name in ("all_cde.sh", "migrate_abc.py", "start_05-net.sh", "all_10-audit.sh"):
        hook.add(name)
    proc = hook("i-2-42-VM", "migrate", "begin", "-")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    calls = hook.calls()
    assert [c[0] for c in calls] == ["all_10-audit.sh", "migrate_abc.py", "all_cde.sh"]
    for call in calls:
        assert call[1:5] == ["i-2-42-VM", "migrate", "begin", "-"]
        assert call[5] == XML.rstrip("\n").replace("\n", "~")
    lines = hook.logged().splitlines()
    assert len(lines) == 3
    for line, name in zip(lines, ["all_10-audit.sh", "migrate_abc.py", "all_cde.sh"]):
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} qemu-hook\[\d+\] INFO i-2-42-VM migrate begin -: "
                        r"%s exit=0 time=\d+\.\d{6}s$" % re.escape(name), line), line


def test_order_matches_the_plan_for_random_names(hook):
    rng = random.Random(20)
    alphabet = "abcXYZ019-_.~"
    names = set()
    while len(names) < 40:
        prefix = rng.choice(lh.PREFIXES + ("stop", "All"))
        names.add("%s_%s" % (prefix, "".join(rng.choice(alphabet) for _i in range(rng.randint(0, 6)))))
    for name in names:
        hook.add(name)
    plan = lh.execution_plan([{"name": n, "is_file": True, "executable": True} for n in names])["plan"]
    for action in ("start", "reconnect"):
        hook.records.write_text("")
        hook("g", action, "begin", "-")
        assert [c[0] for c in hook.calls()] == plan[action], action


def test_skips_and_logs_non_executable_and_non_files(hook):
    hook.add("all_10-off.sh", mode=0o644)
    (hook.custom / "all_20-dir").mkdir()
    hook.add("all_30-on.sh")
    hook.add("stop_40-misnamed.sh")
    hook.add("README")
    hook("g", "stopped", "end", "-")
    assert [c[0] for c in hook.calls()] == ["all_30-on.sh"]
    text = hook.logged()
    assert "WARNING g stopped end -: all_10-off.sh is not executable; skipped" in text
    assert "WARNING g stopped end -: all_20-dir is not a regular file; skipped" in text
    assert "misnamed" not in text and "README" not in text


def test_invalid_action_runs_nothing(hook):
    hook.add("all_10.sh")
    proc = hook("g", "bogus", "begin", "-")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert hook.calls() == []
    assert "ERROR g bogus begin -: invalid action 'bogus'; no custom scripts run" in hook.logged()


@pytest.mark.parametrize("args", [(), ("g",), ("g", "start", "begin"), ("g", "start", "begin", "-", "x")])
def test_other_argument_counts_run_nothing(hook, args):
    hook.add("all_10.sh")
    proc = hook(*args)
    assert (proc.returncode, proc.stdout, hook.calls()) == (0, "", [])


def test_failures_do_not_stop_the_others_and_output_is_logged(hook):
    hook.add("all_10-fail.sh", "#!/bin/sh\necho to-stdout\necho to-stderr >&2\nexit 7\n")
    hook.add("all_20-bad-interpreter.sh", "#!/nonexistent/interpreter\n")
    hook.add("all_30-ok.sh")
    proc = hook("g", "start", "begin", "-")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert [c[0] for c in hook.calls()] == ["all_30-ok.sh"]
    text = hook.logged()
    assert "to-stdout\n" in text and "to-stderr\n" in text
    assert re.search(r"ERROR g start begin -: all_10-fail.sh exit=7 time=\S+ failed", text)
    assert re.search(r"ERROR g start begin -: all_20-bad-interpreter.sh exit=12[67] ", text), text


def test_timeout_terminates_the_group_then_kills(tmp_path):
    hook = Hook(tmp_path, timeout=1, grace=1)
    # The slow script's child has a distinctive command line, to see that the whole group was stopped.
    hook.add("all_10-slow.sh", "#!/bin/sh\nsleep 30.123 &\nsleep 30\n")
    hook.add("all_20-stubborn.sh", "#!/bin/sh\ntrap '' TERM\nsleep 30\nsleep 30\n")
    hook.add("all_30-after.sh")
    started = time.monotonic()
    proc = hook("g", "started", "begin", "-")
    took = time.monotonic() - started
    assert proc.returncode == 0
    assert 3 <= took < 8, took
    assert [c[0] for c in hook.calls()] == ["all_30-after.sh"]
    text = hook.logged()
    assert re.search(r"ERROR g started begin -: all_10-slow.sh exit=143 time=1\.\d+s terminated after the "
                     r"timeout of 1s", text), text
    assert re.search(r"ERROR g started begin -: all_20-stubborn.sh exit=137 time=2\.\d+s killed after the "
                     r"timeout of 1s and 1s grace", text), text
    assert "Terminated" not in text and "Killed" not in text
    time.sleep(0.2)
    assert subprocess.run(["pgrep", "-f", "^sleep 30.123$"], capture_output=True, check=False).returncode == 1


def test_a_script_left_running_in_the_background_does_not_hold_the_event(hook):
    hook.add("all_10-daemon.sh", "#!/bin/sh\nsleep 5 &\necho started\n")
    started = time.monotonic()
    proc = hook("g", "start", "begin", "-")
    assert proc.returncode == 0 and time.monotonic() - started < 3
    assert "INFO g start begin -: all_10-daemon.sh exit=0" in hook.logged()


def test_log_directory_missing_still_runs_scripts(tmp_path):
    hook = Hook(tmp_path)
    hook.path.write_text(render(str(hook.custom), str(tmp_path / "missing" / "log"), 600, 10))
    hook.add("all_10.sh")
    proc = hook("g", "start", "begin", "-")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert [c[0] for c in hook.calls()] == ["all_10.sh"]


def test_no_custom_directory_is_fine(tmp_path):
    hook = Hook(tmp_path)
    hook.custom.rmdir()
    proc = hook("g", "start", "begin", "-")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_settings_round_trip_and_validation():
    text = render("/etc/libvirt/hooks/custom dir", "/var/log/libvirt/qemu-hook.log", 120, 0)
    assert settings_of(text) == {"format": 1, "custom_dir": "/etc/libvirt/hooks/custom dir",
                                 "log_path": "/var/log/libvirt/qemu-hook.log", "timeout": 120, "grace_period": 0}
    assert "custom_dir='/etc/libvirt/hooks/custom dir'" in text
    assert settings_of("#!/bin/sh\n") is None
    for args, message in [
        (("relative", "/l", 1, 1), "custom_dir must be an absolute path"),
        (("/c", "/l\n", 1, 1), "line breaks"),
        (("/c", "/l", 0, 1), "timeout must be a whole number of seconds >= 1"),
        (("/c", "/l", 1, -1), "grace_period must be"),
        (("/c", "/l", True, 1), "timeout must be"),
    ]:
        with pytest.raises(DispatcherSettingsError, match=message):
            render(*args)


def test_dispatcher_is_valid_bash(tmp_path):
    path = tmp_path / "qemu"
    path.write_text(render("/c", "/l", 600, 10))
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True, check=False).returncode == 0
    assert os.access("/bin/bash", os.X_OK)
