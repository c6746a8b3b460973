# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What is installed on a KVM host for libvirt's qemu hook: the hook file and the custom script directory.

Read-only helpers shared by the libvirt_hook* modules; the rules (names, order, kinds) come from
``module_utils.libvirt_hook`` and the dispatcher text from ``qemu_dispatcher``.
"""

from __future__ import annotations

import os

from ..libvirt_hook import (
    CLOUDSTACK_CUSTOM_DIR,
    CLOUDSTACK_LOG_PATH,
    CLOUDSTACK_TIMEOUT,
    HOOK_ABSENT,
    HOOK_CLOUDSTACK,
    HOOK_CSOPS,
    HOOK_NAME,
    hook_kind,
)
from . import files
from .qemu_dispatcher import settings_of
from .runner import CommandRunner, fmt

MIN_BASH = (5, 1)


def hook_path(hooks_dir):
    return os.path.join(hooks_dir, HOOK_NAME)


def inspect_hook(hooks_dir):
    """The file at ``<hooks_dir>/qemu``: kind, text, attributes and (for known kinds) its settings.

    ``settings`` is what the installed hook really uses: custom_dir, log_path, timeout, grace_period
    (None where it has none, such as CloudStack's grace period).
    """
    path = hook_path(hooks_dir)
    attrs = files.file_attrs(path)
    data = files.read_bytes(path) if attrs and attrs["is_file"] else None
    text = files.text_of(data)
    kind = hook_kind(text) if attrs else HOOK_ABSENT
    settings = None
    if kind == HOOK_CSOPS:
        settings = settings_of(text)
    elif kind == HOOK_CLOUDSTACK:
        settings = {"custom_dir": CLOUDSTACK_CUSTOM_DIR, "log_path": CLOUDSTACK_LOG_PATH,
                    "timeout": CLOUDSTACK_TIMEOUT, "grace_period": None}
    return {
        "path": path,
        "kind": kind,
        "data": data,
        "text": text,
        "attrs": attrs,
        "executable": bool(attrs and attrs["executable"]),
        "settings": settings,
    }


def scan_custom_dir(custom_dir):
    """Entries of the custom directory as ``{name, path, is_file, is_link, executable}``; None if it is absent."""
    names = files.list_dir(custom_dir)
    if names is None:
        return None
    entries = []
    for name in names:
        path = os.path.join(custom_dir, name)
        attrs = files.file_attrs(path)
        if attrs is None:
            continue
        entries.append({
            "name": name,
            "path": path,
            "is_file": attrs["is_file"],
            "is_link": attrs["is_link"],
            "is_dir": attrs["is_dir"],
            "executable": attrs["executable"],
            "mode": "%04o" % attrs["mode"],
        })
    return entries


def bash_version(module, bash="/bin/bash"):
    """(major, minor) of the bash the dispatcher's #! line names, or None when it is missing."""
    runner = CommandRunner(module, bash, {"command": fmt.option("-c")}, required=False)
    if not os.path.exists(bash):
        return None
    result = runner.run(["command"], command='printf "%s %s" "${BASH_VERSINFO[0]}" "${BASH_VERSINFO[1]}"')
    if not result.ok:
        return None
    try:
        major, minor = result.out.split()
        return int(major), int(minor)
    except ValueError:
        return None
