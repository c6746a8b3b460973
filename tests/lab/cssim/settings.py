"""Settings catalog (settings_catalog.yml) and scoped values kept in the world state."""

from pathlib import Path

import yaml

from . import errors, versions

CATALOG_PATH = Path(__file__).resolve().parent / "settings_catalog.yml"
SCOPES = ("zone", "cluster", "storagepool", "account", "domain", "imagestore")
# scope -> world collection holding the entities of that scope
SCOPE_KIND = {
    "zone": "zone",
    "cluster": "cluster",
    "storagepool": "storagepool",
    "account": "account",
    "domain": "domain",
    "imagestore": "imagestore",
}
NUMBER_TYPES = {"Integer": (-(2**31), 2**31 - 1), "Long": (-(2**63), 2**63 - 1), "Short": (-(2**15), 2**15 - 1)}
JAVA_CLASS = {
    "Boolean": "class java.lang.Boolean",
    "Integer": "class java.lang.Integer",
    "Long": "class java.lang.Long",
    "Short": "class java.lang.Short",
    "Float": "class java.lang.Float",
    "Double": "class java.lang.Double",
    "String": "class java.lang.String",
}


class Catalog:
    def __init__(self, cloudstack_version, path=None):
        with open(path or CATALOG_PATH, encoding="utf-8") as fh:
            entries = yaml.safe_load(fh)
        mm = versions.major_minor(cloudstack_version)
        self.entries = {}
        for entry in entries:
            entry = dict(entry)
            if isinstance(entry.get("default"), str):
                entry["default"] = entry["default"].replace("{cs_major_minor}", mm)
            entry.setdefault("scope", [])
            self.entries[entry["name"]] = entry

    def get(self, name):
        return self.entries.get(name)

    def names(self):
        return list(self.entries)

    @staticmethod
    def api_type(entry):
        """ConfigurationResponse 'type' as ConfigurationValueValidator derives it."""
        java = entry["type"]
        if java in ("Integer", "Long", "Short"):
            return "Number"
        if java in ("Float", "Double"):
            return "Decimal"
        if java == "Boolean":
            return "Boolean"
        return entry.get("kind") or "String"

    @staticmethod
    def display_text(name):
        text = name.replace(".", " ")
        return text[:1].upper() + text[1:].lower()


def empty_store():
    return {"global": {}, **{scope: {} for scope in SCOPES}}


def global_value(catalog, store, name):
    overrides = store["global"]
    if name in overrides:
        return overrides[name]
    return catalog.get(name)["default"]


def scoped_value(catalog, store, name, scope, entity_id, world=None):
    """Value in a scope: the scope's own value, else (account -> domain when enabled) else global."""
    own = store.get(scope, {}).get(entity_id, {})
    if name in own:
        return own[name]
    if scope == "account" and world is not None:
        if str(global_value(catalog, store, "enable.account.settings.for.domain")).lower() == "true":
            account = world.get("account", entity_id)
            if account:
                dom = store["domain"].get(account["domainid"], {})
                if name in dom:
                    return dom[name]
    return global_value(catalog, store, name)


def validate_value(entry, value):
    """Type check like ConfigurationManagerImpl.validateConfigurationValue; returns an error text or None."""
    java = entry["type"]
    if value is None:
        if java == "Boolean":
            return "Please enter either 'true' or 'false'."
        return None
    if java == "Boolean":
        ok = value in ("true", "false")
    elif java in NUMBER_TYPES:
        low, high = NUMBER_TYPES[java]
        try:
            ok = low <= int(value) <= high
        except ValueError:
            ok = False
    elif java in ("Float", "Double"):
        try:
            float(value)
            ok = True
        except ValueError:
            ok = False
    else:
        ok = True
    if not ok:
        return "Value [%s] is not a valid [%s]." % (value, JAVA_CLASS.get(java, java))
    if entry.get("kind") == "Select" and entry.get("options"):
        if value not in entry["options"].split(","):
            return "Invalid value for configuration [%s]. Please provide a value from [%s]." % (
                entry["name"],
                entry["options"],
            )
    return None


def normalize_empty(entry, value, scoped):
    """getNormalizedEmptyValueForConfig: blank or "null" -> "" (scoped or String) else None."""
    trimmed = value.strip()
    if trimmed and trimmed != "null":
        return trimmed
    if scoped:
        return ""
    return "" if entry["type"] == "String" else None


def update(catalog, store, name, value, scope=None, entity_id=None):
    """Apply updateConfiguration; raises ApiError like CloudStack. Returns the stored value."""
    entry = catalog.get(name)
    if entry is None:
        raise errors.invalid_value("Config parameter with name %s doesn't exist" % name)
    if value is None:
        raise errors.invalid_value("The new value for the [%s] configuration must be given." % name)
    value = normalize_empty(entry, value, scope is not None)
    if entry["type"] == "Boolean" and value is not None:
        value = value.lower()
    if scope is not None and scope not in entry["scope"]:
        raise errors.invalid_value("Invalid scope id provided for the parameter %s" % name)
    problem = validate_value(entry, value)
    if problem:
        raise errors.invalid_value(problem)
    if scope is None:
        store["global"][name] = value
    else:
        store[scope].setdefault(entity_id, {})[name] = value
    return value
