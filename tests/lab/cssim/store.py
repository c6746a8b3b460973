"""Persistence of the world: a snapshot (state.json) plus an append-only journal (journal.jsonl).

Each write request appends one journal line holding the new value of every unit it changed (an entity, or a
top-level key; see tracked.py), or its removal: ``{"ops": [["set", path, value] | ["del", path], ...]}``. The
line is written with one ``write`` and flushed, so it survives the process being killed (``kill -9``); a line
cut short by a crash is the last one and is ignored on load. Loading reads the snapshot and replays the journal;
``compact`` writes a new snapshot atomically (temporary file, fsync, rename) and empties the journal. The
simulator compacts at start-up, at a clean stop, on ``/lab/reset`` and when the journal outgrows the snapshot.
Replaying a line twice gives the same state (whole units are set), so a crash between the rename and the
truncation is harmless.
"""

import json
import os
import sys
from pathlib import Path

SNAPSHOT_FILE = "state.json"
JOURNAL_FILE = "journal.jsonl"
# compact while running once the journal is this many times the snapshot's size (and at least MIN_COMPACT bytes)
COMPACT_RATIO = 4
MIN_COMPACT = 8 * 1024 * 1024


class Store:
    def __init__(self, state_dir):
        self.dir = Path(state_dir)
        self.snapshot = self.dir / SNAPSHOT_FILE
        self.journal = self.dir / JOURNAL_FILE
        self._fh = None
        self.snapshot_bytes = 0
        self.journal_bytes = 0

    def exists(self):
        return self.snapshot.exists()

    def load(self):
        """The state saved in the snapshot with the journal replayed over it."""
        with open(self.snapshot, encoding="utf-8") as fh:
            state = json.load(fh)
        if self.journal.exists():
            with open(self.journal, "rb") as fh:
                lines = fh.read().split(b"\n")
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    if number == len(lines):  # cut short by a crash while it was written: never applied
                        print("cssim: ignoring the incomplete last line of %s" % self.journal, file=sys.stderr)
                        continue
                    raise ValueError("%s line %d is not JSON; the state cannot be rebuilt" % (self.journal, number))
                for op in record["ops"]:
                    apply(state, op)
        return state

    def compact(self, state):
        """Write ``state`` as the new snapshot and empty the journal."""
        self.dir.mkdir(parents=True, exist_ok=True)
        data = json.dumps(state, separators=(",", ":")).encode("utf-8")
        tmp = self.snapshot.with_name(".%s.%d.tmp" % (SNAPSHOT_FILE, os.getpid()))
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.snapshot)
        self.close()
        with open(self.journal, "wb") as fh:
            os.fsync(fh.fileno())
        self.snapshot_bytes, self.journal_bytes = len(data), 0

    def append(self, ops):
        """Append one journal line for ``ops``; returns True when it is time to compact."""
        if self._fh is None:
            self._fh = open(self.journal, "ab", buffering=0)  # one write() per line, straight to the file
        line = json.dumps({"ops": ops}, separators=(",", ":")).encode("utf-8") + b"\n"
        self._fh.write(line)
        self.journal_bytes += len(line)
        return self.journal_bytes > max(MIN_COMPACT, COMPACT_RATIO * self.snapshot_bytes)

    def close(self):
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def apply(state, op):
    """Apply one journal operation (``["set", path, value]`` or ``["del", path]``) to a plain state dict."""
    kind, path = op[0], op[1]
    parent = state
    for key in path[:-1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
        if parent is None:
            if kind == "del":
                return
            raise ValueError("journal sets %s but %s is missing" % ("/".join(path), key))
    if kind == "set":
        parent[path[-1]] = op[2]
    elif kind == "del":
        parent.pop(path[-1], None)
    else:
        raise ValueError("unknown journal operation %r" % kind)
