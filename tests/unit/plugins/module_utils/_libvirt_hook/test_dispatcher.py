"""The rendered bash dispatcher, run as libvirt runs it, against scripts in a temporary directory.

No libvirt is needed: each test calls the dispatcher with the four hook arguments and XML on stdin, with the
environment libvirt gives hooks, and reads what the scripts recorded and what the log says.
"""

import os
import random
import shutil
import signal
import tempfile
import threading
import re
import subprocess
import time

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook import rules as lh
from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook.dispatcher import render, settings_of
from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook.rules import FORMAT, MARKER, HookInputError

ENV = {"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
XML = "<domain type='kvm'>\n  <name>i-2-42-VM</name>\n</domain>\n"
SUMMARY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} qemu-hook\[\d+\] (INFO|WARNING|ERROR) "
                     r"(\S+) (\S+) \S+ \S+: (.*)$")
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

    def summaries(self):
        """The log's lines about script runs that ended (``exit=``), without the start lines."""
        return [line for line in self.logged().splitlines() if " exit=" in line]


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
    assert len(lines) == 6
    for number, name in enumerate(["all_10-audit.sh", "migrate_abc.py", "all_cde.sh"]):
        prefix = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} qemu-hook\[\d+\] INFO i-2-42-VM migrate begin -: "
        assert re.match(prefix + r"%s running$" % re.escape(name), lines[2 * number]), lines
        assert re.match(prefix + r"%s exit=0 time=\d+\.\d{6}s$" % re.escape(name), lines[2 * number + 1]), lines


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
    assert settings_of(text) == {"format": FORMAT, "custom_dir": "/etc/libvirt/hooks/custom dir",
                                 "log_path": "/var/log/libvirt/qemu-hook.log", "timeout": 120, "grace_period": 0}
    assert "custom_dir='/etc/libvirt/hooks/custom dir'" in text
    assert settings_of("#!/bin/sh\n") is None
    for args, message in [
        (("relative", "/l", 1, 1), "custom_dir: must be an absolute path, got 'relative'"),
        (("/c", "/l\n", 1, 1), r"log_path: must not contain line breaks or other control characters, got '/l\\n'"),
        (("/c\x1b[2J", "/l", 1, 1), "custom_dir: must not contain"),
        (("/c", "/l", 0, 1), "timeout: must be a whole number of seconds from 1 to 86400, got 0"),
        (("/c", "/l", 10 ** 18, 1), "timeout: must be a whole number of seconds from 1 to 86400"),
        (("/c", "/l", 1, -1), "grace_period: must be"),
        (("/c", "/l", True, 1), "timeout: must be"),
        (("/c" + "x" * 10000, "/l\n", 1, 1), "log_path"),
    ]:
        with pytest.raises(HookInputError, match=message):
            render(*args)


def test_dispatcher_is_valid_bash_with_the_python_constants(tmp_path):
    path = tmp_path / "qemu"
    path.write_text(render("/c", "/l", 600, 10))
    assert path.read_text().splitlines()[1] == MARKER
    assert "    %s) ;;\n" % "|".join(lh.VALID_ACTIONS) in path.read_text()
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True, check=False).returncode == 0
    assert os.access("/bin/bash", os.X_OK)


def test_settings_are_rendered_in_one_pass_and_quoted(tmp_path):
    """A value holding another placeholder's text, quotes and a command substitution stays one value."""
    marker = tmp_path / "injected"
    custom = "%s/c @LOG_PATH@ '$(touch %s)' \"@TIMEOUT@\" `id`" % (tmp_path, marker)
    log = "%s/l'; touch %s; '@CUSTOM_DIR@" % (tmp_path, marker)
    path = tmp_path / "qemu"
    path.write_text(render(custom, log, 7, 3))
    path.chmod(0o755)
    assert settings_of(path.read_text())["custom_dir"] == custom
    # What bash itself makes of the assignments.
    assignments = "".join(line + "\n" for line in path.read_text().splitlines()
                          if re.match(r"^(custom_dir|log_path|timeout|grace)=", line))
    shown = subprocess.run(["bash", "-c", assignments + 'printf "%s\\0" "$custom_dir" "$log_path" "$timeout" "$grace"'],
                           capture_output=True, check=True).stdout.decode()
    assert shown.split("\0")[:4] == [custom, log, "7", "3"]
    os.makedirs(custom)
    proc = subprocess.run([str(path), "g", "start", "begin", "-"], input="", capture_output=True, text=True,
                          env=ENV, timeout=30, check=False)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert not marker.exists()


def test_script_with_a_line_break_in_its_name_runs_to_its_timeout(tmp_path):
    """The watchdog reads a start time from /proc/PID/stat, whose command field holds the line break."""
    hook = Hook(tmp_path, timeout=1, grace=1)
    hook.add("all_05-first.sh", "#!/bin/sh\nsleep 0.7\n")
    # Starts at about 0.7 s, is checked at 1 s, ends at about 1.2 s: before its own deadline at 1.7 s.
    hook.add("all_10-a\nb", "#!/bin/sh\nsleep 0.5\necho done >> %s\n" % hook.records)
    hook("g", "start", "begin", "-")
    assert hook.records.read_text() == "done\n", hook.logged()
    assert re.search(r"INFO g start begin -: all_10-a\?b exit=0 ", hook.logged()), hook.logged()
    assert all(SUMMARY.match(line) for line in hook.logged().splitlines()), hook.logged()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root to make /tmp read-only")
def test_large_domain_xml_reaches_scripts_without_a_writable_temporary_directory(tmp_path):
    """Above 64 KiB bash would put a here-string in a temporary file; /tmp and /var/tmp are read-only here."""
    writable = tempfile.mkdtemp(dir="/dev/shm")
    try:
        custom = tmp_path / "custom"
        custom.mkdir()
        log = os.path.join(writable, "log")
        counts = os.path.join(writable, "counts")
        hook = tmp_path / "qemu"
        hook.write_text(render(str(custom), log, 30, 1))
        hook.chmod(0o755)
        for name in ("all_10.sh", "all_20.sh"):
            (custom / name).write_text("#!/bin/sh\nwc -c >> %s\n" % counts)
            (custom / name).chmod(0o755)
        xml = "<domain>" + "x" * 100000 + "</domain>"
        shell = ("mount --make-rprivate / && for d in /tmp /var/tmp; do mount --bind $d $d && "
                 "mount -o remount,bind,ro $d || exit 99; done; cd /tmp && exec \"$0\" g start begin -")
        proc = subprocess.run(["unshare", "-m", "sh", "-c", shell, str(hook)], input=xml, capture_output=True,
                              text=True, env=ENV, timeout=60, check=False)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
        with open(counts) as handle:
            assert handle.read().split() == [str(len(xml) + 1)] * 2
        with open(log) as handle:
            assert handle.read().count(" exit=0 ") == 2
    finally:
        shutil.rmtree(writable)


@pytest.mark.parametrize("body", ["echo ran >> %s\n", "", "#!\necho ran >> %s\n", "#!   \necho ran >> %s\n"])
def test_a_file_without_an_interpreter_line_is_skipped_like_cloudstack(hook, body):
    hook.add("all_10-plain", body % hook.records if "%s" in body else body)
    hook.add("all_20-elf", "\x7fELF" + "\0" * 60)
    hook.add("all_30-ok.sh")
    proc = hook("g", "start", "begin", "-")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert [c[0] for c in hook.calls()] == ["all_30-ok.sh"]
    text = hook.logged()
    assert "ERROR g start begin -: all_10-plain cannot be run: Exec format error (no #! line); skipped" in text
    # An ELF file is executed (this one is broken, so the kernel refuses it and the run is logged as failed).
    assert re.search(r"ERROR g start begin -: all_20-elf exit=12[67] ", text), text


def test_records_stay_whole_with_concurrent_events(tmp_path):
    hook = Hook(tmp_path)
    chatty = "#!/bin/sh\nfor i in 1 2 3 4 5; do echo \"$1 line $i\"; sleep 0.02; done\nprintf '%s tail' \"$1\"\n"
    hook.add("all_10-chatty.sh", chatty)
    hook.add("all_20-silent.sh", "#!/bin/sh\nexit 0\n")
    hook.add("all_30-chatty.sh", chatty.replace("echo", "echo >&2"))
    threads = [threading.Thread(target=hook, args=("g%d" % n, "start", "begin", "-")) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    output = []
    records = 0
    for line in hook.logged().splitlines():
        found = SUMMARY.match(line)
        if not found:
            output.append(line)
            continue
        domain, message = found.group(2), found.group(4)
        if " exit=" in message:
            expected = [] if "silent" in message else ["%s line %d" % (domain, i) for i in range(1, 6)] + [
                "%s tail" % domain]
            assert output == expected, hook.logged()
            records += 1
        else:
            assert output == [], hook.logged()
        output = []
    assert records == 12 and output == []


def test_sigkill_reaches_the_group_when_the_script_died_on_sigterm(tmp_path):
    hook = Hook(tmp_path, timeout=1, grace=1)
    hook.add("all_10-leaves-a-child.sh", "#!/bin/sh\n(trap '' TERM; exec sleep 30.789) &\nsleep 30\n")
    try:
        hook("g", "start", "begin", "-")
        assert re.search(r"all_10-leaves-a-child.sh exit=143 time=1\.\d+s terminated after the timeout of 1s",
                         hook.logged()), hook.logged()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _pids("^sleep 30.789$"):
            time.sleep(0.1)
        assert not _pids("^sleep 30.789$"), "the child that ignores SIGTERM outlived the grace period"
    finally:
        for pid in _pids("^sleep 30.789$"):
            os.kill(pid, signal.SIGKILL)


def test_a_running_script_is_named_in_the_log_while_it_runs(tmp_path):
    hook = Hook(tmp_path, timeout=30)
    hook.add("all_10-hangs.sh", "#!/bin/sh\nsleep 1.5\n")
    proc = subprocess.Popen([str(hook.path), "g", "start", "begin", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    proc.stdin.close()
    try:
        time.sleep(0.8)
        assert proc.poll() is None
        assert re.search(r"INFO g start begin -: all_10-hangs.sh running\n$", hook.logged()), hook.logged()
    finally:
        proc.wait(timeout=30)
    assert " all_10-hangs.sh exit=0 " in hook.logged()


def _pids(pattern):
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False).stdout
    return [int(pid) for pid in found.split()]
