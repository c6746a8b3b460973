# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the agent_properties module does, and the agent.properties file operations the keystore modules share:
read the file, plan an edit, write it atomically keeping its mode (0600 for a new file).

The values of secret keys (``keystore.passphrase`` and any key given as a secret) are added to the module's
``no_log_values`` as soon as they are read, and are masked in every diff and result.
"""

from __future__ import annotations

import os

from .._host import files
from .._host.errors import HostError, describe
from . import properties

NEW_FILE_MODE = 0o600


class AgentPropertiesError(HostError):
    """agent.properties could not be read, changed or written; ``result`` holds what was done before."""


def parse_mode(option, mode):
    """A file mode from an octal string (``"0600"``) or an int; AgentPropertiesError naming ``option``."""
    if isinstance(mode, int) and not isinstance(mode, bool):
        number = mode
    elif isinstance(mode, str) and mode and len(mode) <= 5 and all(ch in "01234567" for ch in mode):
        number = int(mode, 8)
    else:
        raise AgentPropertiesError("%s: must be an octal string such as '0600', got %s" % (option, describe(mode)))
    if not 0 <= number <= 0o7777:
        raise AgentPropertiesError("%s: must be an octal string such as '0600', got %s" % (option, describe(mode)))
    return number


class AgentFile:
    """agent.properties on the host: its text (None when missing), mode and owner, and the secret values seen."""

    def __init__(self, module, path, secret_keys=properties.SECRET_KEYS):
        self.module = module
        self.path = path
        self.secret_keys = frozenset(secret_keys)
        attrs = files.check_creatable("path", path, "file")
        if attrs is not None and not attrs["is_file"]:
            raise AgentPropertiesError("read %s: not a regular file" % describe(path, 200))
        self.attrs = attrs
        data = files.read_bytes(path) if attrs else None
        self.text = files.text_of(data)
        self.values = properties.values(self.text)
        self.hide(value for key, value in self.values.items() if key in self.secret_keys)

    def hide(self, secrets):
        """Never show these values (module results, diffs and logs mask them)."""
        for value in secrets:
            if value:
                self.module.no_log_values.add(value)

    def plan(self, present, absent):
        """``(new_text, changed_keys)`` for an edit of this file."""
        return properties.edit(self.text or "", present, absent)

    def write(self, text, uid, gid, mode=None):
        """Write ``text`` atomically, with ``mode`` or else the file's mode (0600 for a new file)."""
        if mode is None:
            mode = self.attrs["mode"] if self.attrs else NEW_FILE_MODE
        files.write_atomic(self.path, text.encode("utf-8", "surrogateescape"), mode, uid, gid)

    def diff(self, after_text):
        return {"before_header": self.path, "after_header": self.path,
                "before": properties.masked(self.text or "", self.secret_keys),
                "after": properties.masked(after_text, self.secret_keys)}


def manage_properties(module):
    """agent_properties: set and remove keys; returns the module result."""
    params = module.params
    present = {}
    for option in ("properties", "secret_properties"):
        for key, value in (params.get(option) or {}).items():
            properties.check_key(option, key)
            if key in present:
                raise AgentPropertiesError("%s: %s is also given in the other of properties/secret_properties"
                                           % (option, key))
            present[key] = properties.check_value(option, key, value)
    given_secrets = set(params.get("secret_properties") or {})
    for key in present:
        if key in properties.SECRET_KEYS and key not in given_secrets:
            raise AgentPropertiesError("properties: %s is a secret; give it in secret_properties (no_log)" % key)
    absent = []
    for key in params.get("absent") or []:
        properties.check_key("absent", key)
        if key in present:
            raise AgentPropertiesError("absent: %s is also given a value" % key)
        absent.append(key)
    mode = parse_mode("mode", params["mode"]) if params.get("mode") is not None else None

    agent = AgentFile(module, params["path"], properties.SECRET_KEYS | given_secrets)
    if agent.text is None and not present:
        result = {"changed": False, "path": agent.path, "changed_keys": [], "exists": False}
        if module._diff:
            result["diff"] = agent.diff("")
        return result
    if agent.text is None and not os.path.isdir(os.path.dirname(agent.path) or "/"):
        raise AgentPropertiesError("path: directory of %s does not exist" % describe(agent.path, 200))
    new_text, changed_keys = agent.plan(present, absent)
    attrs = agent.attrs
    wanted_mode = mode if mode is not None else (attrs["mode"] if attrs else NEW_FILE_MODE)
    content_changed = agent.text is None or new_text != agent.text
    wanted_attrs = (wanted_mode, module.uid, module.gid)
    attrs_changed = attrs is not None and (attrs["mode"], attrs["uid"], attrs["gid"]) != wanted_attrs
    changed = content_changed or attrs_changed
    if changed and not module.check_mode:
        if content_changed:
            agent.write(new_text, module.uid, module.gid, wanted_mode)
        else:
            files.set_attrs(agent.path, wanted_mode, module.uid, module.gid)
    result = {"changed": changed, "path": agent.path, "changed_keys": changed_keys, "exists": True}
    if module._diff:
        result["diff"] = agent.diff(new_text)
    return result
