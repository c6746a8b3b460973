"""The API contract (tests/lab/contract/api-contract.json) as the simulator uses it."""

import json
from pathlib import Path

from . import versions

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "contract" / "api-contract.json"

# Parameters every command accepts (BaseCmd / the servlet), whatever the contract lists.
ALWAYS_ALLOWED = frozenset({"command", "response", "apikey", "signature", "signatureversion", "expires"})


class Contract:
    def __init__(self, path=None):
        self.path = Path(path) if path else DEFAULT_PATH
        with open(self.path, encoding="utf-8") as fh:
            self.raw = json.load(fh)
        self.commands = self.raw["commands"]
        self._fields = {}
        self._params = {}
        for name, spec in self.commands.items():
            self._params[name] = {p["name"]: p for p in spec.get("params", [])}
            self._fields[name] = {f["name"]: f for f in spec.get("response_fields", [])}

    def has(self, command):
        return command in self.commands

    def spec(self, command):
        return self.commands[command]

    def params(self, command):
        return self._params[command]

    def fields(self, command):
        return self._fields[command]

    def response_name(self, command):
        return self.commands[command]["response_name"]

    def response_object(self, command):
        return self.commands[command]["response_object"]

    def is_async(self, command):
        return bool(self.commands[command].get("async"))

    def is_list(self, command):
        return bool(self.commands[command].get("list_response"))

    def java_class(self, command):
        """'api/src/main/java/org/apache/.../StartSystemVMCmd.java (...)' -> dotted class name."""
        path = self.commands[command].get("java_class") or ""
        path = path.split(" ")[0]
        marker = "src/main/java/"
        if marker in path:
            path = path.split(marker, 1)[1]
        return path[:-5].replace("/", ".") if path.endswith(".java") else path

    # ----- shaping and checking response objects -----

    def shape(self, command, obj, version):
        """Drop fields the simulated CloudStack ``version`` does not have yet (recursively for children)."""
        fields = self._fields[command]
        return _shape(obj, fields, version)

    def violations(self, command, obj):
        """Names (dotted for children) in ``obj`` that the contract does not list for ``command``."""
        return _violations(obj, self._fields[command], "")


def _shape(obj, fields, version):
    out = {}
    for key, value in obj.items():
        spec = fields.get(key)
        if spec is not None and not versions.available(spec.get("since"), version):
            continue
        children = spec.get("children") if spec else None
        if children and isinstance(value, list):
            sub = {c["name"]: c for c in children}
            value = [_shape(v, sub, version) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def _violations(obj, fields, prefix):
    bad = []
    for key, value in obj.items():
        spec = fields.get(key)
        if spec is None:
            bad.append(prefix + key)
            continue
        children = spec.get("children")
        if children and isinstance(value, list):
            sub = {c["name"]: c for c in children}
            for item in value:
                if isinstance(item, dict):
                    bad.extend(_violations(item, sub, prefix + key + "."))
    return bad
