"""Scope parameters of listConfigurations/updateConfiguration (this module registers no command)."""

from .. import errors

SCOPE_PARAMS = (
    ("zoneid", "zone"),
    ("clusterid", "cluster"),
    ("storageid", "storagepool"),
    ("accountid", "account"),
    ("domainid", "domain"),
    ("imagestoreuuid", "imagestore"),
)
SCOPE_PARAM_TYPES = {
    "zoneid": "uuid:zone", "clusterid": "uuid:cluster", "storageid": "uuid:storagepool",
    "accountid": "uuid:account", "domainid": "uuid:domain", "imagestoreuuid": "uuid:imagestore",
}


def scope_of(p):
    """(scope, entity id) from the request; (None, None) for global."""
    given = [(scope, p[key]) for key, scope in SCOPE_PARAMS if key in p]
    if len(given) > 1:
        raise errors.invalid_value("cannot handle multiple IDs, provide only one ID corresponding to the scope")
    return given[0] if given else (None, None)
