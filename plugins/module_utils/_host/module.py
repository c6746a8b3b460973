# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every host-side module: AnsibleModule plus the shared host path options, owner and group
resolved once, every path option checked before anything runs, and one place where HostError becomes a
one-line ``fail_json`` carrying what was done before the failure."""

from __future__ import annotations

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

from . import files
from .errors import HostError

# Host paths shared by modules, with the defaults a real KVM host uses (doc fragment csops.cloudstack.host,
# one fragment per option). Tests point them elsewhere.
HOST_PATH_SPEC = {
    "hooks_dir": dict(type="path", default="/etc/libvirt/hooks"),
    "custom_dir": dict(type="path", default="/etc/libvirt/hooks/custom"),
    "log_path": dict(type="path", default="/var/log/libvirt/qemu-hook.log"),
}

# Owner and group of what a module writes (doc fragment csops.cloudstack.host).
OWNER_SPEC = {
    "owner": dict(type="str", default="root"),
    "group": dict(type="str", default="root"),
}


class HostModule(AnsibleModule):
    """AnsibleModule for modules that change files on a KVM host.

    ``paths`` names options of HOST_PATH_SPEC to add; ``owner=True`` adds ``owner`` and ``group`` and resolves
    them into ``self.uid`` and ``self.gid``. Every option of type path must be absolute and free of control
    characters. ``shapes`` maps an option to a function telling why the value as the task gave it has the wrong
    shape (None when it is fine): ansible-core refuses some such values with a message that names no option, so
    the option is taken as it is and the module fails with that function's one line instead. Bad input fails the
    module here, before any backend runs. ``run(func)`` calls ``func(self)`` and exits with the result dict it
    returns, or fails on HostError with its message and partial result.
    """

    def __init__(self, argument_spec=None, paths=(), owner=False, shapes=None, **kwargs):
        spec = {name: dict(HOST_PATH_SPEC[name]) for name in paths}
        if owner:
            spec.update(OWNER_SPEC)
        spec.update(argument_spec or {})
        shape_error = None
        if shapes:
            given = basic._load_params() or {}
            for name, check in shapes.items():
                shape_error = check(given.get(name))
                if shape_error:
                    spec[name] = dict(type="raw")
                    break
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=spec, **kwargs)
        if shape_error:
            self.fail_json(msg=shape_error, changed=False)
        self.uid = self.gid = None
        failure = None
        try:
            for name, option in spec.items():
                if option.get("type") == "path" and self.params.get(name) is not None:
                    files.check_path(name, self.params[name])
            if owner:
                self.uid = _option("owner", files.resolve_user, self.params["owner"])
                self.gid = _option("group", files.resolve_group, self.params["group"])
        except HostError as error:
            failure = str(error)
        if failure is not None:
            self.fail_json(msg=failure, changed=False)

    def run(self, func):
        """Exit with ``func(self)``'s result; on HostError fail with its message and the result so far."""
        failure = None
        try:
            result = func(self)
        except HostError as error:
            failure = error
        if failure is not None:
            partial = dict(failure.result or {})
            partial["changed"] = bool(partial.get("changed"))
            partial.pop("failed", None)
            self.fail_json(msg=str(failure), **partial)
        self.exit_json(**result)


def _option(name, resolve, value):
    try:
        return resolve(value)
    except HostError as error:
        raise HostError("%s: %s" % (name, error))
