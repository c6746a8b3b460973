# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the rolling_maintenance_scripts module does: put the stage scripts into the hooks directory (removing the
other file name variants of a stage, so the script installed is the one the agent runs) and point
agent.properties at the directory, through the agent_properties file operations.

Everything is checked before the first write; a failure afterwards carries the result so far.
"""

from __future__ import annotations

import os

from .._agent import properties
from .._agent.backend import AgentFile, parse_mode
from .._host import files
from .._host.errors import HostError, describe
from . import rules
from .rules import StageScriptError

DIR_MODE = 0o755


class _Plan:
    """One stage as asked: its state, the file name wanted (None when absent) and the content."""

    def __init__(self, stage, state, name=None, content=None):
        self.stage = stage
        self.state = state
        self.name = name
        self.content = content


def _check_scripts(module, items, mode):
    """The stages asked for, checked and with their content read; StageScriptError on the first bad one."""
    plans = []
    seen = set()
    for index, item in enumerate(items):
        where = "scripts[%d]" % index
        stage = item.get("stage")
        if stage not in rules.STAGES:
            hint = next((s for s in rules.STAGES if isinstance(stage, str) and s.lower() == stage.lower()), None)
            raise StageScriptError("%s.stage: unknown stage %s; the agent looks up %s%s"
                                   % (where, describe(stage), ", ".join(rules.STAGES),
                                      " (names are case-sensitive: %s)" % hint if hint else ""))
        if stage in seen:
            raise StageScriptError("%s.stage: %s is given more than once" % (where, stage))
        seen.add(stage)
        state = item.get("state") or "present"
        if state == "absent":
            if item.get("content") is not None or item.get("src") is not None:
                raise StageScriptError("%s: %s has state=absent, so content and src must not be given" % (where, stage))
            plans.append(_Plan(stage, state))
            continue
        extension = rules.EXTENSION_CHOICES[item.get("extension") or "none"]
        if item.get("content") is not None and item.get("src") is not None:
            raise StageScriptError("%s: %s has both content and src; give one of them" % (where, stage))
        if item.get("content") is not None:
            content = item["content"].encode("utf-8", "surrogateescape")
        elif item.get("src") is not None:
            src = files.check_path("%s.src" % where, item["src"])
            attrs = files.file_attrs(src)
            if attrs is None or not attrs["is_file"]:
                raise StageScriptError("%s.src: %s is not a file on the host" % (where, describe(src)))
            content = files.read_bytes(src)
        else:
            raise StageScriptError("%s: %s has state=present and needs content or src, got neither" % (where, stage))
        rules.check_content(stage, content)
        if not mode & 0o100:
            module.warn("stage script %s is installed without execute permission (mode %04o); the agent cannot run "
                        "it" % (stage, mode))
        plans.append(_Plan(stage, state, stage + extension, content))
    return plans


def _existing(hooks_dir):
    """Names of the regular files (symlinks to them included) among the stage script names in ``hooks_dir``."""
    found = set()
    for stage in rules.STAGES:
        for name in rules.script_names(stage):
            attrs = files.file_attrs(os.path.join(hooks_dir, name))
            if attrs is not None and attrs["is_file"]:
                found.add(name)
    return found


def _executor_value(agent, executor):
    """``rolling.maintenance.service.executor.disabled`` after the task: the option's value, else the file's."""
    if executor is not None:
        return rules.EXECUTORS[executor]
    return (agent.values.get(rules.EXECUTOR_KEY) or "false").strip().lower()


def manage_scripts(module):
    """rolling_maintenance_scripts: the stage scripts and agent.properties; returns the module result."""
    params = module.params
    hooks_dir = rules.check_hooks_dir("hooks_dir", params["hooks_dir"])
    mode = parse_mode("mode", params["mode"])
    plans = _check_scripts(module, params["scripts"] or [], mode)
    files.check_creatable("hooks_dir", hooks_dir, "directory")
    # Checked here first, so a directory or another non-file is refused naming this module's option.
    attrs = files.check_creatable("agent_properties", params["agent_properties"], "file")
    if attrs is not None and not attrs["is_file"]:
        raise StageScriptError("agent_properties: %s is not a regular file" % describe(params["agent_properties"], 200))
    agent = AgentFile(module, params["agent_properties"])
    if agent.text is None and not os.path.isdir(os.path.dirname(agent.path) or "/"):
        raise StageScriptError("agent_properties: directory of %s does not exist" % describe(agent.path, 200))

    existing = _existing(hooks_dir)
    after = set(existing)
    for plan in plans:
        after -= set(rules.script_names(plan.stage))
        if plan.state == "present":
            after.add(plan.name)
    uses_service = _executor_value(agent, params["executor"]) != "true"
    headroom = None
    if after:
        headroom = rules.unit_headroom(hooks_dir, sorted(after))
        if uses_service and headroom < 0:
            raise StageScriptError(
                "hooks_dir: %s is %d characters too long: the service executor's systemd unit names would exceed "
                "%d characters (use a shorter directory, or executor=agent)"
                % (describe(hooks_dir, 120), -int(headroom), rules.UNIT_NAME_MAX))

    result = {"changed": False, "hooks_dir": hooks_dir, "scripts": [], "restart_required": False}
    diffs = []
    try:
        _put_scripts(module, hooks_dir, plans, mode, result, diffs)
        _put_properties(module, agent, hooks_dir, result, diffs)
    except HostError as error:
        raise StageScriptError("install stage scripts in %s: %s" % (describe(hooks_dir, 120), error), result=result)
    result["active"] = {stage: (os.path.join(hooks_dir, rules.active_script(stage, after))
                                if rules.active_script(stage, after) else None) for stage in rules.STAGES}
    result["unit_name_headroom"] = headroom if uses_service else None
    if module._diff:
        result["diff"] = diffs
    return result


def _put_scripts(module, hooks_dir, plans, mode, result, diffs):
    uid, gid = module.uid, module.gid
    if any(plan.state == "present" for plan in plans) and files.file_attrs(hooks_dir) is None:
        files.ensure_dir(hooks_dir, DIR_MODE, uid, gid, module.check_mode)
        result["changed"] = True
    for plan in plans:
        item = {"stage": plan.stage, "state": "absent" if plan.state == "absent" else "unchanged",
                "path": os.path.join(hooks_dir, plan.name) if plan.name else None, "removed": []}
        result["scripts"].append(item)
        for name in rules.script_names(plan.stage):
            path = os.path.join(hooks_dir, name)
            attrs = files.file_attrs(path)
            before = files.read_bytes(path) if attrs and attrs["is_file"] else None
            if name == plan.name:
                if not files.needs_write(path, plan.content, mode, uid, gid):
                    continue
                if attrs is not None and not attrs["is_file"] and not attrs["is_link"]:
                    raise StageScriptError("%s exists and is not a regular file" % path)
                item["state"] = "updated" if attrs else "created"
                if not module.check_mode:
                    files.write_atomic(path, plan.content, mode, uid, gid)
                diffs.append(files.file_diff(path, attrs, before, plan.content, mode, uid, gid))
            elif attrs is not None:
                if attrs["is_dir"] and not attrs["is_link"]:
                    module.warn("%s is a directory; the agent ignores it and it is left alone" % path)
                    continue
                if not module.check_mode:
                    files.remove(path)
                item["removed"].append(path)
                if plan.state == "absent":
                    item["state"] = "removed"
                diffs.append(files.file_diff(path, attrs, before, None, mode, uid, gid))
            else:
                continue
            result["changed"] = True


def _put_properties(module, agent, hooks_dir, result, diffs):
    present = {rules.HOOKS_DIR_KEY: properties.check_value("hooks_dir", rules.HOOKS_DIR_KEY, hooks_dir)}
    if module.params["executor"] is not None:
        present[rules.EXECUTOR_KEY] = rules.EXECUTORS[module.params["executor"]]
    new_text, changed_keys = agent.plan(present, [])
    changed = agent.text is None or new_text != agent.text
    result["agent_properties"] = {"path": agent.path, "changed_keys": changed_keys}
    if changed:
        if not module.check_mode:
            agent.write(new_text, module.uid, module.gid)
        result["changed"] = True
        # the agent reads agent.properties only when it starts
        result["restart_required"] = True
        diffs.append(agent.diff(new_text))
