# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the libvirt_hook* modules do on a KVM host: install or remove the dispatcher, put or remove a custom
script, read the execution plan.

Each entry point takes the HostModule (for its parameters, check mode, diff mode and warnings), validates
every input before it touches anything, and returns the module result, or raises HookError (a HostError)
carrying the result so far.
"""

from __future__ import annotations

import os

from .._host import files
from .._host.errors import HostError, describe
from .._host.runner import CommandRunner, fmt
from . import rules
from .dispatcher import check_settings, render, settings_of

MIN_BASH = (5, 1)
HOOK_MODE = 0o755
DIR_MODE = 0o755


class HookError(HostError):
    """A hook task failed; ``result`` holds what was done before."""


def hook_path(hooks_dir):
    """The qemu hook file in ``hooks_dir``."""
    return os.path.join(hooks_dir, rules.HOOK_NAME)


def inspect_hook(hooks_dir):
    """The file at ``<hooks_dir>/qemu`` as a dict: path, kind, data (bytes), text, attrs, executable, settings.

    ``settings`` is what the installed hook really uses: custom_dir, log_path, timeout, grace_period (None
    where it has none, such as CloudStack's grace period), or None for no hook or another one.
    """
    path = hook_path(hooks_dir)
    attrs = files.file_attrs(path)
    data = files.read_bytes(path) if attrs and attrs["is_file"] else None
    text = files.text_of(data)
    kind = rules.hook_kind(text) if attrs else rules.HOOK_ABSENT
    settings = None
    if kind == rules.HOOK_CSOPS:
        settings = settings_of(text)
    elif kind == rules.HOOK_CLOUDSTACK:
        settings = {"custom_dir": rules.CLOUDSTACK_CUSTOM_DIR, "log_path": rules.CLOUDSTACK_LOG_PATH,
                    "timeout": rules.CLOUDSTACK_TIMEOUT, "grace_period": None}
    return {"path": path, "kind": kind, "data": data, "text": text, "attrs": attrs,
            "executable": bool(attrs and attrs["executable"]), "settings": settings}


def scan_custom_dir(custom_dir):
    """Entries of the custom directory as dicts (name, path, is_file, is_link, is_dir, executable, mode), names
    as the file system has them; None when the directory does not exist."""
    names = files.list_dir(custom_dir)
    if names is None:
        return None
    entries = []
    for name in names:
        path = os.path.join(custom_dir, name)
        attrs = files.file_attrs(path)
        if attrs is not None:
            entries.append({"name": name, "path": path, "is_file": attrs["is_file"], "is_link": attrs["is_link"],
                            "is_dir": attrs["is_dir"], "executable": attrs["executable"],
                            "mode": "%04o" % attrs["mode"]})
    return entries


def bash_version(module, bash="/bin/bash"):
    """(major, minor) of the bash the dispatcher's #! line names, or None when it is missing or unreadable."""
    if not os.path.exists(bash):
        return None
    runner = CommandRunner(module, bash, {"command": fmt.option("-c")})
    result = runner.run(["command"], command='printf "%s %s" "${BASH_VERSINFO[0]}" "${BASH_VERSINFO[1]}"')
    try:
        major, minor = result.out.split()
        return int(major), int(minor)
    except ValueError:
        return None


def _shown(text):
    """A path or name for the start of a message: as is when short and plain, else quoted and shortened."""
    quoted = describe(text, 120)
    return text if quoted == "'%s'" % text else quoted


class _Task:
    """Shared state of one module run: the result so far, failing with it."""

    def __init__(self, module, verb, what):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.prefix = "%s %s" % (verb, what)
        self.result = {"changed": False}

    def fail(self, reason):
        raise HookError("%s: %s" % (self.prefix, reason), result=self.result)

    def guarded(self, step):
        """``step()``'s value; a HostError from it becomes this task's failure, carrying the result so far."""
        try:
            return step()
        except HostError as error:
            if isinstance(error, HookError) and str(error).startswith(self.prefix + ": "):
                raise
            self.fail(str(error))


# -- libvirt_hook ----------------------------------------------------------------------------------------


def manage_hook(module):
    """Install (state=present) or remove (state=absent) the dispatcher; returns the module result."""
    params = module.params
    path = hook_path(params["hooks_dir"])
    task = _Task(module, "install" if params["state"] == "present" else "remove", "qemu hook %s" % _shown(path))
    task.result.update(hook_path=path, restart_required=False)
    diff = {"before_header": path, "after_header": path}
    if params["state"] == "present":
        # Everything is checked before anything is read or written; these errors name the option.
        task.guarded(lambda: _check_hook_input(params))
        task.guarded(lambda: _present(task, path, diff))
    else:
        task.guarded(lambda: _absent(task, diff))
    if module._diff:
        task.result["diff"] = diff
    return task.result


def _check_hook_input(params):
    check_settings(params["custom_dir"], params["log_path"], params["timeout"], params["grace_period"])
    files.check_creatable("hooks_dir", params["hooks_dir"], "directory")
    files.check_creatable("custom_dir", params["custom_dir"], "directory")
    files.check_creatable("log_path", params["log_path"], "file")
    log_dir = os.path.dirname(params["log_path"])
    if not os.path.isdir(log_dir):
        raise HookError("log_path: its directory %s does not exist; the dispatcher could not log there"
                        % describe(log_dir))


def _present(task, path, diff):
    params, module = task.params, task.module
    wanted = render(params["custom_dir"], params["log_path"], params["timeout"], params["grace_period"])
    wanted_bytes = wanted.encode("utf-8")
    hook = inspect_hook(params["hooks_dir"])
    task.result["previous"] = hook["kind"]
    diff["before"] = hook["text"] or ""

    if hook["kind"] == rules.HOOK_CLOUDSTACK:
        module.warn("%s is CloudStack's qemu hook; it is left in place (it rewrites bridge names on migrate and runs "
                    "the custom scripts itself) and only the custom directory is managed. Its fixed 600 s timeout "
                    "without a grace period, its logging to %s and the custom directory %s apply; timeout, "
                    "grace_period and log_path of this task do not."
                    % (path, rules.CLOUDSTACK_LOG_PATH, rules.CLOUDSTACK_CUSTOM_DIR))
        if not hook["executable"]:
            module.warn("%s is not executable, so libvirt does not run it" % path)
        if params["custom_dir"] != rules.CLOUDSTACK_CUSTOM_DIR:
            module.warn("CloudStack's hook runs the scripts in %s, not in %s"
                        % (rules.CLOUDSTACK_CUSTOM_DIR, params["custom_dir"]))
        diff["after"] = diff["before"]
        task.result.update(dispatcher=rules.HOOK_CLOUDSTACK, settings=hook["settings"])
        _ensure_custom_dir(task)
        return

    if hook["kind"] == rules.HOOK_OTHER and not params["force"]:
        task.fail("a hook that is neither this collection's dispatcher nor CloudStack's is installed there; "
                  "set force=true to replace it (a backup copy is kept)")
    if hook["attrs"] and not hook["attrs"]["is_file"] and not hook["attrs"]["is_link"]:
        task.fail("it exists and is not a regular file")
    version = bash_version(module)
    if version is None or version < MIN_BASH:
        task.fail("the dispatcher needs /bin/bash %d.%d or later, found %s"
                  % (MIN_BASH + (("%d.%d" % version) if version else "none",)))

    if files.needs_write(path, wanted_bytes, HOOK_MODE, module.uid, module.gid):
        if not task.check_mode:
            if files.file_attrs(params["hooks_dir"]) is None:
                files.ensure_dir(params["hooks_dir"], DIR_MODE, module.uid, module.gid, False)
            if hook["kind"] == rules.HOOK_OTHER:
                task.result["backup_file"] = module.backup_local(path)
            files.write_atomic(path, wanted_bytes, HOOK_MODE, module.uid, module.gid)
        task.result.update(changed=True, restart_required=not hook["executable"])
    diff["after"] = wanted
    task.result.update(dispatcher=rules.HOOK_CSOPS, settings={
        "custom_dir": params["custom_dir"], "log_path": params["log_path"],
        "timeout": params["timeout"], "grace_period": params["grace_period"]})
    _ensure_custom_dir(task)


def _ensure_custom_dir(task):
    module = task.module
    custom_dir = task.params["custom_dir"]
    task.result["custom_dir"] = {"path": custom_dir, "created": False}
    parent = os.path.dirname(custom_dir.rstrip("/"))
    if not os.path.isdir(parent) and not task.check_mode:
        files.ensure_dir(parent, DIR_MODE, module.uid, module.gid, False)
        task.result["changed"] = True
    created = files.ensure_dir(custom_dir, DIR_MODE, module.uid, module.gid, task.check_mode)
    if created:
        task.result["changed"] = True
    task.result["custom_dir"]["created"] = created == "created"


def _absent(task, diff):
    hook = inspect_hook(task.params["hooks_dir"])
    task.result.update(previous=hook["kind"], dispatcher=hook["kind"], settings=hook["settings"],
                       custom_dir={"path": task.params["custom_dir"], "created": False})
    diff["before"] = diff["after"] = hook["text"] or ""
    if hook["kind"] == rules.HOOK_CSOPS:
        if not task.check_mode:
            files.remove(hook["path"])
        task.result.update(changed=True, dispatcher=rules.HOOK_ABSENT, settings=None,
                           restart_required=hook["executable"])
        diff["after"] = ""
    elif hook["kind"] in (rules.HOOK_CLOUDSTACK, rules.HOOK_OTHER):
        task.module.warn("%s is %s, not this collection's dispatcher; it is left in place"
                         % (hook["path"], "CloudStack's qemu hook" if hook["kind"] == rules.HOOK_CLOUDSTACK
                            else "another hook"))


# -- libvirt_hook_script ---------------------------------------------------------------------------------


def manage_script(module):
    """Put the script's files for its actions in place (state=present) or remove them all; returns the result."""
    params = module.params
    present = params["state"] == "present"
    task = _Task(module, "install" if present else "remove", "hook script")
    task.guarded(lambda: rules.check_name(params["name"]))
    task.prefix = "%s hook script %s" % ("install" if present else "remove", _shown(params["name"]))
    actions = task.guarded(lambda: rules.normalize_actions(params["actions"]))
    mode = task.guarded(lambda: rules.parse_mode(params["mode"]))
    task.guarded(lambda: files.check_creatable("custom_dir", params["custom_dir"], "directory"))
    content = task.guarded(lambda: _content(module, params, mode)) if present else None
    task.result.update(files=[], actions=list(actions))
    wanted = set(rules.file_names(params["name"], actions)) if present else set()
    diffs = []
    task.guarded(lambda: _put_files(task, wanted, content, mode, diffs))
    task.result["paths"] = sorted(os.path.join(params["custom_dir"], name) for name in wanted)
    if module._diff:
        task.result["diff"] = diffs
    return task.result


def _content(module, params, mode):
    if params["content"] is not None:
        content = params["content"].encode("utf-8", "surrogateescape")
    elif params["src"] is not None:
        attrs = files.file_attrs(params["src"])
        if attrs is None or not attrs["is_file"]:
            raise HookError("src: %s is not a file on the host" % describe(params["src"]))
        try:
            content = files.read_bytes(params["src"])
        except files.HostFileError as error:
            raise HookError("src: %s" % error)
    else:
        raise HookError("content: state=present needs content or src, got neither")
    if not content.startswith(b"#!") and not content.startswith(b"\x7fELF"):
        raise HookError("content: no #! line, so the hook would never run the script (Exec format error), got %s"
                        % describe(content[:40].decode("utf-8", "replace")))
    if not mode & 0o100:
        module.warn("hook script %s is installed without execute permission (mode %04o); the hook will skip it "
                    "and log a warning on each event" % (describe(params["name"]), mode))
    return content


def _put_files(task, wanted, content, mode, diffs):
    module, params = task.module, task.params
    uid, gid = module.uid, module.gid
    # A missing directory is created; the attributes of an existing one are libvirt_hook's business.
    if wanted and files.file_attrs(params["custom_dir"]) is None:
        files.ensure_dir(params["custom_dir"], DIR_MODE, uid, gid, task.check_mode)
        task.result["changed"] = True
    for filename in rules.candidate_names(params["name"]):
        path = os.path.join(params["custom_dir"], filename)
        attrs = files.file_attrs(path)
        before = files.read_bytes(path) if attrs and attrs["is_file"] else None
        if filename in wanted:
            if not files.needs_write(path, content, mode, uid, gid):
                state = "unchanged"
            else:
                if attrs is not None and not attrs["is_file"] and not attrs["is_link"]:
                    task.fail("%s exists and is not a regular file" % path)
                state = "updated" if attrs else "created"
                if not task.check_mode:
                    files.write_atomic(path, content, mode, uid, gid)
            after = content
        elif attrs is not None:
            if attrs["is_dir"] and not attrs["is_link"]:
                module.warn("%s is a directory; it is left alone" % path)
                continue
            state = "removed"
            after = None
            if not task.check_mode:
                files.remove(path)
        else:
            continue
        if state != "unchanged":
            task.result["changed"] = True
            diffs.append(files.file_diff(path, attrs, before, after, mode, uid, gid))
        task.result["files"].append({"path": path, "action": filename.split("_", 1)[0], "state": state})


# -- libvirt_hook_info -----------------------------------------------------------------------------------


def read_plan(module):
    """The installed hook, and the execution plan of its custom directory; returns the module result."""
    hook = inspect_hook(module.params["hooks_dir"])
    settings = hook["settings"]
    hook_dir = settings.get("custom_dir") if settings else None
    custom_dir = module.params["custom_dir"] or hook_dir or rules.CLOUDSTACK_CUSTOM_DIR
    attrs = files.file_attrs(custom_dir)
    if attrs is not None and not attrs["is_dir"]:
        raise HookError("custom_dir: %s exists and is not a directory" % describe(custom_dir))
    if hook_dir and module.params["custom_dir"] and module.params["custom_dir"] != hook_dir:
        module.warn("the installed hook runs the scripts in %s, not in %s" % (hook_dir, custom_dir))
    if hook["kind"] == rules.HOOK_ABSENT:
        module.warn("no qemu hook is installed at %s: libvirt runs none of these scripts" % hook["path"])
    elif hook["kind"] == rules.HOOK_OTHER:
        module.warn("%s is neither this collection's dispatcher nor CloudStack's hook: the plan shows what "
                    "those would run" % hook["path"])
    elif not hook["executable"]:
        module.warn("%s is not executable: libvirt does not run it" % hook["path"])

    entries = scan_custom_dir(custom_dir) or []
    outcome = rules.execution_plan(entries)
    by_name = {entry["name"]: entry for entry in entries}
    for item in outcome["ignored"] + outcome["notices"]:
        item["path"] = by_name[item["name"]]["path"]
        if hook["kind"] == rules.HOOK_CLOUDSTACK and item["reason"] == rules.NOT_A_FILE \
                and by_name[item["name"]]["executable"]:
            item["message"] += " (CloudStack's hook tries to run it and logs the error)"
    scripts = []
    for entry in entries:
        runs_for = [a for a in rules.actions_of(entry["name"]) if entry["name"] in outcome["plan"][a]]
        if runs_for:
            scripts.append({"name": entry["name"], "path": entry["path"], "actions": runs_for, "mode": entry["mode"]})
    # Names are compared and ordered as bytes above; the result shows them as text.
    for item in outcome["ignored"] + outcome["notices"] + scripts + entries:
        item.update(name=files.shown(item["name"]), path=files.shown(item["path"]))
        if "message" in item:
            item["message"] = files.shown(item["message"])
            module.warn(item["message"])
    return {
        "changed": False,
        "dispatcher": {"path": hook["path"], "kind": hook["kind"], "executable": hook["executable"],
                       "settings": settings},
        "custom_dir": {"path": custom_dir, "exists": os.path.isdir(custom_dir)},
        "plan": {action: [files.shown(n) for n in names] for action, names in outcome["plan"].items()},
        "scripts": scripts,
        "ignored": outcome["ignored"],
        "notices": outcome["notices"],
        "files": entries,
    }
