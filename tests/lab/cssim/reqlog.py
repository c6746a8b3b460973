"""Request log: in memory and appended to <state-dir>/requests.jsonl, addressed by index."""

import json
import threading
from pathlib import Path

LOG_FILE = "requests.jsonl"
REDACTED = "*****"
ALWAYS_REDACT = {"apikey", "signature", "sessionkey"}
SECRET_WORDS = ("password", "secret", "privatekey", "certificate")


def redact(pairs):
    out = {}
    for name, value in pairs:
        low = name.lower()
        if low in ALWAYS_REDACT or any(word in low for word in SECRET_WORDS):
            value = REDACTED
        out.setdefault(name, value)
    return out


def is_write(command):
    """Reads: list*, query*, get*HealthCheck*, listCapabilities. Everything else changes something."""
    if not command:
        return False
    low = command.lower()
    if low.startswith("list") or low.startswith("query"):
        return False
    if low.startswith("get") and "healthcheck" in low:
        return False
    return True


class RequestLog:
    def __init__(self, state_dir):
        self.path = Path(state_dir) / LOG_FILE
        self.lock = threading.Lock()
        self._fh = None
        self.entries = []
        if self.path.exists():
            with open(self.path, "rb") as fh:
                data = fh.read()
            complete, _newline, partial = data.rpartition(b"\n")
            if partial.strip():  # cut short when the process was killed while writing it: dropped
                with open(self.path, "r+b") as fh:
                    fh.truncate(len(data) - len(partial))
            for line in complete.split(b"\n"):
                if line.strip():
                    self.entries.append(json.loads(line))

    def next_index(self):
        with self.lock:
            return len(self.entries)

    def append(self, entry):
        with self.lock:
            entry = dict(entry, index=len(self.entries))
            self.entries.append(entry)
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "ab", buffering=0)  # one write() per entry, kept if the process dies
            self._fh.write(json.dumps(entry, separators=(",", ":")).encode("utf-8") + b"\n")
            return entry

    def close(self):
        with self.lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None

    def since(self, index=0):
        with self.lock:
            return [dict(e) for e in self.entries[max(0, int(index)):]]
