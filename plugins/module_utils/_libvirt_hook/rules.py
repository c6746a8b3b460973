# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules of the KVM host's libvirt qemu hook, as pure functions shared by the modules and their tests.

The custom scripts CloudStack's qemu hook (and this collection's dispatcher) run live in one directory.
A file named ``<action>_<name>`` runs for that action and ``all_<name>`` for every valid action; scripts run
in the order of ``<name>``, the text after the first underscore (ties: the whole file name, byte order);
a file that is not executable is skipped (and logged) on every event; anything else never runs.
"""

from __future__ import annotations

import re

from .._host.errors import HostError, describe

VALID_ACTIONS = ("prepare", "start", "started", "stopped", "release", "migrate", "restore", "reconnect", "attach")
ALL = "all"
PREFIXES = (ALL,) + VALID_ACTIONS

HOOK_NAME = "qemu"
DEFAULT_GRACE_PERIOD = 10

# CloudStack's own hook: fixed custom directory, timeout and log, no grace period. The dispatcher's options
# default to the same.
CLOUDSTACK_CUSTOM_DIR = "/etc/libvirt/hooks/custom"
CLOUDSTACK_TIMEOUT = 600
CLOUDSTACK_LOG_PATH = "/var/log/libvirt/qemu-hook.log"

# Kinds of file found at <hooks_dir>/qemu.
HOOK_ABSENT = "absent"
HOOK_CSOPS = "csops"
HOOK_CLOUDSTACK = "cloudstack"
HOOK_OTHER = "other"

# Why a file in the custom directory does not run (or runs but deserves a look).
NO_PREFIX = "no_action_prefix"
UNKNOWN_ACTION = "unknown_action"
NOT_EXECUTABLE = "not_executable"
NOT_A_FILE = "not_a_file"
BACKUP_NAME = "backup_name"

_BACKUP_SUFFIXES = ("~", ".bak", ".orig", ".rej", ".swp", ".tmp", ".old", ".save", ".dpkg-old", ".dpkg-new",
                    ".dpkg-dist", ".dpkg-bak", ".ucf-old", ".ucf-new", ".ucf-dist", ".rpmnew", ".rpmsave",
                    ".rpmorig")

# Text that only CloudStack's qemu hook (agent/bindir/libvirtqemuhook) carries; two of them must match.
_CLOUDSTACK_MARKERS = (
    re.compile(r"\bcloudutils\b"),
    re.compile(r"\bexecuteCustomScripts\b"),
    re.compile(r"\bvalidQemuActions\b"),
    re.compile(r"\bcustomDir\b"),
    re.compile(r"cloudVirBr"),
    re.compile(r"qemu-hook\.log"),
    re.compile(r"libvirtqemuhook"),
)
# The second line of this collection's dispatcher (dispatcher.py renders it; FORMAT changes with its layout).
FORMAT = 2
MARKER = "# csops.cloudstack qemu hook dispatcher, format %d" % FORMAT
MARKER_RE = re.compile(r"^# csops\.cloudstack qemu hook dispatcher, format (\d+)$", re.M)


class HookInputError(HostError):
    """A setting, script name, action list or mode that cannot be used; the message names the option."""


def split_name(filename):
    """``(prefix, key)`` of a custom script file name, or None when it has no underscore."""
    if "_" not in filename:
        return None
    prefix, key = filename.split("_", 1)
    return prefix, key


def order_key(filename):
    """Sort key of a custom script: the text after the first underscore, then the whole name (bytes)."""
    parts = split_name(filename)
    key = parts[1] if parts else filename
    return key.encode("utf-8", "surrogateescape"), filename.encode("utf-8", "surrogateescape")


def actions_of(filename):
    """The valid actions a file name runs for (empty when none)."""
    parts = split_name(filename)
    if not parts:
        return ()
    if parts[0] == ALL:
        return VALID_ACTIONS
    if parts[0] in VALID_ACTIONS:
        return (parts[0],)
    return ()


def looks_like_backup(filename):
    return filename.endswith(_BACKUP_SUFFIXES) or filename.startswith("#")


def check_name(name):
    """The ``name`` of a managed script (the part after ``<action>_``): a plain, visible file name part."""
    if not isinstance(name, str) or not name:
        raise HookInputError("name: must be a non-empty string, got %s" % describe(name))
    if "/" in name or re.search(r"[\x00-\x1f\x7f]", name):
        raise HookInputError("name: must not contain '/', line breaks or other control characters, got %s"
                             % describe(name))
    if name.strip() != name:
        raise HookInputError("name: must not start or end with spaces, got %s" % describe(name))
    if name in (".", ".."):
        raise HookInputError("name: %s is not a file name" % describe(name))
    if len(name.encode("utf-8", "surrogateescape")) + len("reconnect_") > 255:
        raise HookInputError("name: too long for a file name, got %s" % describe(name))
    return name


def normalize_actions(actions):
    """A sorted tuple of valid actions, or ``("all",)``; unknown actions and "all" mixed with others fail."""
    if actions is None:
        return (ALL,)
    if isinstance(actions, str):
        actions = [actions]
    names = []
    for action in actions:
        if not isinstance(action, str):
            raise HookInputError("actions: must be action names, got %s" % describe(action))
        action = action.strip()
        if action not in PREFIXES:
            raise HookInputError("actions: unknown action %s; valid actions are %s, or all"
                                 % (describe(action), ", ".join(VALID_ACTIONS)))
        if action not in names:
            names.append(action)
    if not names:
        raise HookInputError("actions: must not be empty (use [all] for every action)")
    if ALL in names:
        if len(names) > 1:
            raise HookInputError("actions: all cannot be combined with other actions")
        return (ALL,)
    return tuple(a for a in VALID_ACTIONS if a in names)


def file_names(name, actions):
    """File names of script ``name`` for ``actions`` (normalized): ``all_<name>`` or ``<action>_<name>``."""
    return ["%s_%s" % (prefix, name) for prefix in normalize_actions(actions)]


def candidate_names(name):
    """Every file name script ``name`` could have: the ones a run removes when they are not wanted."""
    return ["%s_%s" % (prefix, name) for prefix in PREFIXES]


def parse_mode(mode):
    """File mode from an int or an octal string (``"0755"``, ``"755"``)."""
    if isinstance(mode, bool):
        raise HookInputError("mode: must be an octal string such as '0755', got %s" % describe(mode))
    if isinstance(mode, int):
        value = mode
    elif isinstance(mode, str) and re.match(r"^0?[0-7]{3,4}\Z", mode):
        value = int(mode, 8)
    else:
        raise HookInputError("mode: must be an octal string such as '0755', got %s" % describe(mode))
    if value < 0 or value > 0o7777:
        raise HookInputError("mode: out of range, got %s" % describe(mode))
    return value


def hook_kind(text):
    """What the file at the hook path is: this collection's dispatcher, CloudStack's hook, or another one."""
    if text is None:
        return HOOK_ABSENT
    head = text[:65536]
    if MARKER_RE.search(head[:4096]):
        return HOOK_CSOPS
    if sum(1 for marker in _CLOUDSTACK_MARKERS if marker.search(head)) >= 2:
        return HOOK_CLOUDSTACK
    return HOOK_OTHER


def execution_plan(entries):
    """What runs, in which order, and what is ignored, for the files of the custom directory.

    ``entries`` is an iterable of dicts with ``name`` (file name), ``is_file`` (a regular file, symlinks
    followed) and ``executable`` (execute permission for root). Returns a dict with:

    - ``plan``: for each valid action, the ordered list of file names that run;
    - ``ignored``: files that never run or are skipped, each ``{name, reason, message}``;
    - ``notices``: files that run but look unintended (backup copies), same shape.
    """
    plan = {action: [] for action in VALID_ACTIONS}
    ignored = []
    notices = []
    for entry in sorted(entries, key=lambda e: order_key(e["name"])):
        name = entry["name"]
        parts = split_name(name)
        if not parts:
            ignored.append(_why(name, NO_PREFIX, "no underscore in the name, so it never runs; name it "
                                                 "<action>_<name> or all_<name>"))
            continue
        actions = actions_of(name)
        if not actions:
            ignored.append(_why(name, UNKNOWN_ACTION, "%r is not a valid action or all, so it never runs; "
                                                      "valid actions: %s" % (parts[0], ", ".join(VALID_ACTIONS))))
            continue
        if not entry.get("is_file"):
            ignored.append(_why(name, NOT_A_FILE, "not a regular file (a directory, a broken link or a special "
                                                  "file): skipped, with a warning in the log, on every %s"
                                % ("event" if parts[0] == ALL else parts[0] + " event")))
            continue
        if not entry.get("executable"):
            ignored.append(_why(name, NOT_EXECUTABLE, "not executable: skipped, with a warning in the log, on "
                                                      "every %s" % ("event" if parts[0] == ALL
                                                                    else parts[0] + " event")))
            continue
        if looks_like_backup(name):
            notices.append(_why(name, BACKUP_NAME, "runs, but its name looks like a backup or editor copy"))
        for action in actions:
            plan[action].append(name)
    return {"plan": plan, "ignored": ignored, "notices": notices}


def _why(name, reason, message):
    return {"name": name, "reason": reason, "message": "%s: %s" % (name, message)}
