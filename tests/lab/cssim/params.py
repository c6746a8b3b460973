"""Request parameters: unpacking, declaration mini-language, validation.

A handler declares its parameters as ``{name: spec}``. A spec is ``[~]type[:kind][!]``:

- ``type``: string, uuid, boolean, integer, short, long, list, map, date (the contract's vocabulary)
- ``:kind``: for uuid (and ``list:uuid:kind``) the entity kind the id must resolve to; ``kind|-1`` also
  accepts ``-1`` (CloudStack's "all", e.g. registerTemplate's zoneid=-1 for a cross-zone template)
- ``!``: required
- ``~``: accepted by CloudStack but not simulated: using it gets a clear 431 instead of a silent no-op
"""

import re

from . import errors, versions
from .contract import ALWAYS_ALLOWED

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAP_KEY_RE = re.compile(r"^([^\[\]]+)\[(\d+)\]\.(.+)$")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DEFAULT_STRING_LENGTH = 255  # @Parameter(length) default
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class Spec:
    __slots__ = ("name", "type", "kind", "item_type", "required", "simulated", "allow_all")

    def __init__(self, name, text):
        self.name = name
        self.simulated = not text.startswith("~")
        text = text.lstrip("~")
        self.required = text.endswith("!")
        text = text.rstrip("!")
        parts = text.split(":")
        self.type = parts[0]
        self.item_type = None
        self.kind = None
        if self.type == "list" and len(parts) > 1:
            self.item_type = parts[1]
            self.kind = parts[2] if len(parts) > 2 else None
        elif len(parts) > 1:
            self.kind = parts[1]
        self.allow_all = bool(self.kind and self.kind.endswith("|-1"))
        if self.allow_all:
            self.kind = self.kind[:-3] or None

    def __repr__(self):
        return "Spec(%s %s%s)" % (self.name, self.type, "!" if self.required else "")


def compile_specs(declared):
    return {name: Spec(name, text) for name, text in declared.items()}


def unpack(pairs):
    """Servlet parameter list -> (plain {lowercase name: first value}, maps {name: [dict, ...]}).

    Mirrors ParamUnpackWorker: names are lower-cased; ``x[i].field=v`` builds map parameter ``x``.
    """
    plain = {}
    maps = {}
    for name, value in pairs:
        if "[" in name:
            if name.count("[") != 1:
                raise errors.ApiError(
                    errors.MALFORMED_PARAMETER_ERROR,
                    "Unable to decode parameter %s; if specifying an object array, please use "
                    "parameter[index].field=XXX, e.g. userGroupList[0].group=httpGroup" % name,
                )
            match = MAP_KEY_RE.match(name)
            if not match:
                raise errors.ApiError(errors.MALFORMED_PARAMETER_ERROR, "Unable to decode parameter %s" % name)
            base, index, field = match.group(1).lower(), int(match.group(2)), match.group(3).lower()
            maps.setdefault(base, {}).setdefault(index, {}).setdefault(field, value)
            continue
        plain.setdefault(name.lower(), value)
    ordered = {k: [v[i] for i in sorted(v)] for k, v in maps.items()}
    return plain, ordered


def _cmd(command):
    return command.lower()


def validate(command, specs, plain, maps, contract, version, world):
    """Check and convert parameters; returns {name: value} for the parameters given."""
    cmdl = _cmd(command)
    contract_params = contract.params(command) if contract.has(command) else {}

    for key, value in plain.items():
        if value and CONTROL_CHARS.search(value):
            raise errors.param_error(
                "Received value containing illegal ASCII non-printable characters for parameter %s" % key
            )

    # Required parameters first: CloudStack's own message for the common mistake.
    for spec in specs.values():
        if spec.required and spec.name not in plain and spec.name not in maps:
            raise errors.param_error(
                "Unable to execute API command %s due to missing parameter %s" % (cmdl, spec.name)
            )

    # Unknown parameters: CloudStack only logs them; the lab rejects them on purpose.
    unknown = []
    too_new = []
    for key in list(plain) + list(maps):
        if key in ALWAYS_ALLOWED or key in ("sessionkey", "_"):
            continue
        spec = specs.get(key)
        if spec is None or (key in maps and spec.type != "map") or (key in plain and spec.type == "map"):
            unknown.append(key)
            continue
        since = contract_params.get(key, {}).get("since")
        if not versions.available(since, version):
            too_new.append("%s (since %s)" % (key, since))
    if unknown or too_new:
        text = "Received unknown parameters for command %s: %s" % (cmdl, ", ".join(sorted(unknown + too_new)))
        if too_new:
            text += "; the lab simulates CloudStack %s" % version
        raise errors.param_error(text + " (cssim rejects parameters the API does not define)")

    values = {}
    for spec in specs.values():
        if spec.name in maps:
            if not spec.simulated:
                raise errors.not_simulated(command, spec.name)
            values[spec.name] = maps[spec.name]
            continue
        if spec.name not in plain:
            continue
        if not spec.simulated:
            raise errors.not_simulated(command, spec.name)
        raw = plain[spec.name]
        converted = _convert(cmdl, spec, raw, contract_params.get(spec.name, {}), world)
        if converted is not None:
            values[spec.name] = converted

    if "pagesize" in specs:
        _check_page_pair(plain)
    return values


def _bad_value(cmdl, spec, raw):
    return errors.param_error(
        "Unable to execute API command %s due to invalid value %s for parameter %s" % (cmdl, raw, spec.name)
    )


def _bad_entity(cmdl, name, raw):
    return errors.param_error(
        "Unable to execute API command %s due to invalid value. Invalid parameter %s value=%s due to "
        "incorrect long value format, or entity does not exist or due to incorrect parameter annotation "
        "for the field in api cmd class." % (cmdl, name, raw)
    )


def _uuid(cmdl, name, kind, raw, world, allow_all=False):
    if allow_all and raw == "-1":
        return raw
    if not UUID_RE.match(raw) or (kind and not world.exists(kind, raw)):
        raise _bad_entity(cmdl, name, raw)
    return raw


def _integer(cmdl, spec, raw, low=INT_MIN, high=INT_MAX):
    if raw.strip() == "":
        return None  # blank numbers are ignored, as ParamProcessWorker does
    try:
        number = int(raw.strip())
    except ValueError:
        raise _bad_value(cmdl, spec, raw) from None
    if not low <= number <= high:
        raise _bad_value(cmdl, spec, raw)
    return number


def _convert(cmdl, spec, raw, contract_spec, world):
    kind = spec.type
    if kind == "string":
        limit = contract_spec.get("length") or DEFAULT_STRING_LENGTH
        if len(raw) > limit:
            raise errors.param_error(
                "Unable to execute API command %s due to invalid value. Value greater than max allowed "
                "length %d for param: %s" % (cmdl, limit, spec.name)
            )
        return raw
    if kind == "boolean":
        # CloudStack uses Boolean.valueOf (anything else is false); the lab insists on true/false.
        low = raw.strip().lower()
        if low not in ("true", "false"):
            raise _bad_value(cmdl, spec, raw)
        return low == "true"
    if kind in ("integer", "short"):
        return _integer(cmdl, spec, raw, *((-(2**15), 2**15 - 1) if kind == "short" else (INT_MIN, INT_MAX)))
    if kind == "long":
        return _integer(cmdl, spec, raw, -(2**63), 2**63 - 1)
    if kind == "uuid":
        return _uuid(cmdl, spec.name, spec.kind, raw, world, spec.allow_all)
    if kind == "list":
        items = [token for token in raw.split(",") if token != ""]
        if spec.item_type == "uuid":
            return [_uuid(cmdl, spec.name, spec.kind, token.strip(), world, spec.allow_all) for token in items]
        return [token.strip() for token in items]
    if kind == "date":
        return raw
    raise _bad_value(cmdl, spec, raw)


def _check_page_pair(plain):
    page = plain.get("page")
    pagesize = plain.get("pagesize")
    if pagesize is not None and page is None:
        try:
            unlimited = int(pagesize) == -1
        except ValueError:
            unlimited = False
        if not unlimited:
            raise errors.param_error('"page" parameter is required when "pagesize" is specified')
    if page is not None and pagesize is None:
        raise errors.param_error('"pagesize" parameter is required when "page" is specified')
