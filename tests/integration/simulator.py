"""Start a private simulator on loopback for tests that need the API but not the lab's namespaces."""

import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(REPO, "tests", "lab")


class PrivateSimulator:
    def __init__(self, *extra_args, topology=None):
        self.tmp = tempfile.TemporaryDirectory()
        env = dict(os.environ, PYTHONPATH=LAB)
        cmd = [sys.executable, "-m", "cssim", "--state-dir", self.tmp.name, "--topology",
               topology or os.path.join(LAB, "topology.yml"), "--host", "127.0.0.1", "--port", "0"] + list(extra_args)
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError("simulator did not start: %r %s" % (line, self.proc.stderr.read()))
        self.endpoint = line.strip().split("listening on ", 1)[1]
        self.control_url = self.endpoint.replace("/client/api", "/lab")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.tmp.cleanup()
