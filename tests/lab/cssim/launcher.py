"""Start a simulator process of its own on 127.0.0.1 (an ephemeral port), for tests and benchmarks that need
the API but not the lab's namespaces. The one launcher: the simulator's own tests, the integration tests and
the benchmarks all start it through ``PrivateSimulator``.

    with PrivateSimulator("--extra-hosts", "100", topology=path) as sim:
        sim.endpoint        # http://127.0.0.1:<port>/client/api
        sim.control         # cssim.control.LabControl for the /lab/ endpoints
        sim.restart()       # SIGTERM and start again on the same state directory (a management-server restart)
        sim.kill()          # SIGKILL: what survives is what the journal holds
"""

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .control import LabControl

LAB = Path(__file__).resolve().parent.parent
READY = "cssim listening on "


class PrivateSimulator:
    """``extra_args`` go to ``python -m cssim`` as they are. Without ``state_dir`` the state lives in a temporary
    directory removed by ``close``. stderr goes to ``log_path`` (``cssim.log`` in the state directory). ``lab``
    names another directory holding a ``cssim`` package to run (a baseline checkout, for side-by-side timing)."""

    def __init__(self, *extra_args, topology=None, state_dir=None, start=True, start_timeout=60, lab=None):
        self.lab = Path(lab) if lab else LAB
        self._tmp = None
        if state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="cssim-")
            state_dir = self._tmp.name
        self.state_dir = Path(state_dir)
        self.topology = Path(topology) if topology else self.lab / "topology.yml"
        self.extra_args = [str(arg) for arg in extra_args]
        self.start_timeout = start_timeout
        self.pidfile = self.state_dir / "cssim.pid"
        self.log_path = self.state_dir / "cssim.log"
        self.proc = None
        self.endpoint = None
        self.control_url = None
        self.control = None
        if start:
            self.start()

    def __enter__(self):
        return self if self.running() else self.start()

    def __exit__(self, *exc):
        self.close()

    def command(self):
        return [sys.executable, "-m", "cssim", "--state-dir", str(self.state_dir), "--topology", str(self.topology),
                "--host", "127.0.0.1", "--port", "0", "--pidfile", str(self.pidfile)] + self.extra_args

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Start the process and wait until it listens; returns self."""
        if self.running():
            return self
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=str(self.lab), PYTHONUNBUFFERED="1")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=str(self.lab), env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=log, text=True)
        line = self._ready_line()
        if not line.startswith(READY):
            self._end(signal.SIGKILL, 5)
            raise RuntimeError("simulator did not start (%s): %r\n%s"
                               % (" ".join(self.command()), line, self.log_tail()))
        self.endpoint = line.strip()[len(READY):]
        self.control_url = self.endpoint.replace("/client/api", "/lab")
        self.control = LabControl(self.endpoint)
        return self

    def _ready_line(self):
        deadline = time.monotonic() + self.start_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "(nothing within %.0f s)" % self.start_timeout
            ready = select.select([self.proc.stdout], [], [], left)[0]
            if ready:
                return self.proc.stdout.readline()

    def log_tail(self, lines=20):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def _end(self, sig, timeout):
        if self.running():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode if self.proc else None

    def stop(self, timeout=10):
        """SIGTERM (a clean stop: the state is compacted), SIGKILL after ``timeout`` s; returns the exit code."""
        return self._end(signal.SIGTERM, timeout)

    def kill(self):
        """SIGKILL, as a crash would; returns the exit code."""
        return self._end(signal.SIGKILL, 10)

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        """Stop, and remove the state directory when it is a temporary one of this launcher."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
