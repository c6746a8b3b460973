# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What libvirt_tls does on a KVM host: the TLS keys of libvirtd.conf and the /etc/pki links, as CloudStack sets
them, and whether libvirtd must restart to see the change. Also reads the links for host_certificate_info."""

from __future__ import annotations

import os

from .._host import files
from .._host.errors import HostError, describe
from . import rules

DIR_MODE = 0o755
GROUP_DIR_MODE = 0o750


class LibvirtTlsError(HostError):
    """libvirt TLS could not be configured; ``result`` holds what was done before."""


def link_state(link, target):
    """``{path, target, expected, ok}`` of one link (``target`` None when it is missing or not a link)."""
    attrs = files.file_attrs(link)
    actual = None
    if attrs is not None and attrs["is_link"]:
        try:
            actual = os.readlink(link)
        except OSError:
            actual = None
    if attrs is None:
        state = "missing"
    elif attrs["is_link"]:
        state = "link"
    else:
        state = "directory" if attrs["is_dir"] else "file"
    return {"path": link, "expected": target, "target": actual, "kind": state, "ok": actual == target}


def read_links(pki_dir, agent_dir):
    """The state of each of CloudStack's eight links."""
    return [dict(link_state(link, target), role=role) for link, target, role in rules.links(pki_dir, agent_dir)]


def configure(module):
    """libvirt_tls: set the libvirtd.conf keys and make the links; returns the module result."""
    params = module.params
    conf = params["libvirtd_conf"]
    attrs = files.file_attrs(conf)
    if attrs is None or not attrs["is_file"]:
        raise LibvirtTlsError("libvirtd_conf: %s is not a file (is libvirt installed?)" % describe(conf, 200))
    before = files.text_of(files.read_bytes(conf))
    wanted = rules.libvirtd_settings(params["pki_dir"], params["tls"])
    after, changed_keys = rules.edit_conf(before, wanted)
    group = rules.qemu_group(files.text_of(files.read_bytes(params["qemu_conf"])))
    gid = module.gid
    dir_mode = DIR_MODE
    if group is not None:
        try:
            gid = files.resolve_group(group)
        except HostError as error:
            raise LibvirtTlsError("qemu_conf: group %s: %s" % (describe(group), error))
        dir_mode = GROUP_DIR_MODE

    link_plan = []
    if params["tls"] and params["links"]:
        for item in read_links(params["pki_dir"], params["agent_dir"]):
            if item["kind"] == "directory":
                raise LibvirtTlsError("links: %s is a directory" % describe(item["path"], 200))
            if not item["ok"]:
                link_plan.append(item)
        for directory in rules.link_dirs(params["pki_dir"]):
            files.check_creatable("pki_dir", directory, "directory")
    result = {"changed": False, "changed_keys": changed_keys, "links": [
        {"path": i["path"], "target": i["expected"], "was": i["target"] or i["kind"]} for i in link_plan],
        "restart_required": bool(changed_keys or link_plan), "qemu_group": group}
    dirs_changed = []
    done = {"changed": False}
    try:
        if params["tls"] and params["links"]:
            if not os.path.isdir(params["pki_dir"]) and not module.check_mode:
                files.ensure_dir(params["pki_dir"], DIR_MODE, module.uid, module.gid, False)
            for directory in rules.link_dirs(params["pki_dir"]):
                if files.ensure_dir(directory, dir_mode, module.uid, gid, module.check_mode):
                    dirs_changed.append(directory)
                    done["changed"] = True
        if not module.check_mode:
            for item in link_plan:
                _make_link(item["path"], item["expected"])
                done["changed"] = True
            if changed_keys:
                files.write_atomic(conf, after.encode("utf-8", "surrogateescape"), attrs["mode"], attrs["uid"],
                                   attrs["gid"])
    except HostError as error:
        raise LibvirtTlsError("configure libvirt TLS: %s" % error, done)
    result["directories"] = dirs_changed
    result["changed"] = bool(changed_keys or link_plan or dirs_changed)
    if module._diff:
        result["diff"] = {"before_header": conf, "after_header": conf, "before": before, "after": after}
    return result


def _make_link(path, target):
    """Point ``path`` at ``target``: a new link under a temporary name renamed over whatever is there."""
    tmp = "%s.csops-tmp" % path
    try:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(target, tmp)
        os.rename(tmp, path)
    except OSError as error:
        raise LibvirtTlsError("link %s to %s: %s" % (path, target, error.strerror or error))
