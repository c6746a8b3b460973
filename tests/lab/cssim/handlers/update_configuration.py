from .. import errors, render, settings
from ..registry import command
from ._config_scope import SCOPE_PARAM_TYPES, scope_of


@command("updateConfiguration", params=dict(SCOPE_PARAM_TYPES, **{"name": "string!", "value": "string"}))
def update_configuration(ctx, p):
    name = p["name"]
    if not name:
        raise errors.param_error("Empty configuration name provided")
    entry = ctx.catalog.get(name)
    if entry is None:
        raise errors.invalid_value("Config parameter with name %s doesn't exist" % name)
    if p.get("value") is None:
        raise errors.invalid_value("The new value for the [%s] configuration must be given." % name)
    scope, entity_id = scope_of(p)
    settings.update(ctx.catalog, ctx.world.settings_store(), name, p["value"], scope, entity_id)
    # CloudStack answers with the setting's record, the scope asked for (UpdateCfgCmd names none for
    # image stores) and the value as sent
    shown = None if scope == "imagestore" else scope
    return ctx.object_body(render.configuration(ctx, entry, p["value"], shown))
