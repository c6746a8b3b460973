# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the CloudStack KVM agent finds and runs rolling maintenance stage scripts, as rules the module checks.

For a stage S the agent takes the first regular file among ``<hooks dir>/S``, ``S.sh`` and ``S.py``. The
service executor (the default) starts the systemd unit ``cloudstack-rolling-maintenance@<instance>.service``
whose instance is ``systemd-escape`` of ``<stage>,<script>,<timeout>,<results file>,<output file>[,<payload>]``;
the executor splits it on commas, and systemd refuses unit names longer than 255 characters.
"""

from __future__ import annotations

import string

from ansible.module_utils.common.validation import check_type_dict

from .._host.errors import HostError, describe

STAGES = ("PreFlight", "PreMaintenance", "Maintenance", "PostMaintenance")
# the lookup order of the agent (RollingMaintenanceExecutorBase.getStageScriptFile)
EXTENSIONS = ("", ".sh", ".py")
EXTENSION_CHOICES = {"none": "", ".sh": ".sh", ".py": ".py"}

HOOKS_DIR_KEY = "rolling.maintenance.hooks.dir"
EXECUTOR_KEY = "rolling.maintenance.service.executor.disabled"
# executor option -> value of rolling.maintenance.service.executor.disabled
EXECUTORS = {"service": "false", "agent": "true"}

RESULTS_FILE = "rolling-maintenance-results"
OUTPUT_FILE = "rolling-maintenance-output"
UNIT_TEMPLATE = "cloudstack-rolling-maintenance@%s.service"
UNIT_NAME_MAX = 255
# the digits of the stage timeout the headroom is computed with (CloudStack's default is 1800 seconds)
TIMEOUT_DIGITS = 4

_PLAIN = frozenset(string.ascii_letters + string.digits + ":_.")


class StageScriptError(HostError):
    """A stage script or the hooks directory cannot be managed; ``result`` holds what was done before."""


def scripts_shape_error(value):
    """Why ``value``, the ``scripts`` option as the task gave it, is not a list of dicts, naming the option; None
    when it is one (or could be read as one, as ansible-core reads a ``key=value`` or JSON string).

    ansible-core refuses such a value itself, but with a message that names no option."""
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, str):
        items = value.split(",")
        if not all(_as_dict(item) for item in items):
            return "scripts must be a list of dicts (stage, state, content, src, extension), got %s" % describe(value)
        return None
    if not isinstance(value, (list, tuple)):
        return "scripts must be a list of dicts (stage, state, content, src, extension), got %s" % describe(value)
    for index, item in enumerate(value):
        if not _as_dict(item):
            return ("scripts[%d] must be a dict such as {stage: Maintenance, content: ...}, got %s"
                    % (index, describe(item)))
    return None


def _as_dict(item):
    if isinstance(item, dict):
        return True
    if not isinstance(item, str):
        return False
    try:
        check_type_dict(item)
    except (TypeError, ValueError):
        return False
    return True


def script_names(stage):
    """The file names the agent tries for ``stage``, in its order."""
    return [stage + ext for ext in EXTENSIONS]


def active_script(stage, existing):
    """The file name the agent runs for ``stage`` among ``existing`` (names of regular files), or None."""
    return next((name for name in script_names(stage) if name in existing), None)


def systemd_escape(text):
    """``systemd-escape TEXT`` (without --path): ``/`` becomes ``-``, other bytes outside [A-Za-z0-9:_.] and a
    leading ``.`` become ``\\xNN``."""
    out = []
    for index, byte in enumerate(text.encode("utf-8", "surrogateescape")):
        char = chr(byte)
        if char == "/":
            out.append("-")
        elif char in _PLAIN and not (index == 0 and char == "."):
            out.append(char)
        else:
            out.append("\\x%02x" % byte)
    return "".join(out)


def unit_name(stage, script_path, hooks_dir, timeout, payload=None):
    """The systemd unit the agent's service executor starts for one stage."""
    base = hooks_dir.rstrip("/") + "/"
    fields = [stage, script_path, str(timeout), base + RESULTS_FILE, base + OUTPUT_FILE]
    if payload:
        fields.append(payload)
    return UNIT_TEMPLATE % systemd_escape(",".join(fields))


def unit_headroom(hooks_dir, names):
    """Characters left under systemd's unit name limit for the longest of ``names`` (script file names in
    ``hooks_dir``) with a 4-digit timeout and no payload; a payload takes its escaped length plus 4 (the
    escaped comma)."""
    base = hooks_dir.rstrip("/") + "/"
    longest = 0
    for name in names:
        stage = next(s for s in STAGES if name == s or name.startswith(s + "."))
        longest = max(longest, len(unit_name(stage, base + name, hooks_dir, "9" * TIMEOUT_DIGITS)))
    return UNIT_NAME_MAX - longest


def check_hooks_dir(option, path):
    """``path`` if the agent can use it as its hooks directory, else StageScriptError naming ``option``."""
    if "," in path:
        raise StageScriptError("%s: must not contain a comma (the service executor splits its argument on commas),"
                               " got %s" % (option, describe(path)))
    if "'" in path:
        raise StageScriptError("%s: must not contain a single quote (it breaks the agent's systemd-escape call), "
                               "got %s" % (option, describe(path)))
    if path.rstrip("/") == "":
        raise StageScriptError("%s: must not be the root directory" % option)
    return path


def check_content(stage, content):
    """Refuse content the agent could not execute: it must start with ``#!`` or be an ELF binary."""
    if not content.startswith(b"#!") and not content.startswith(b"\x7fELF"):
        raise StageScriptError(
            "scripts: %s has no #! line, so the agent could not execute it (the agent executor fails with an Exec "
            "format error), got %s" % (stage, describe(content[:40].decode("utf-8", "replace"))))
    return content
