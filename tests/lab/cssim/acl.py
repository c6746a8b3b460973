"""Which owned resources a root-admin caller sees (AccountManager.buildACLSearchParameters)."""

from . import errors


def find_account(ctx, name, domain_id=None):
    domain = ctx.world.get("domain", domain_id or ctx.caller["account"]["domainid"])
    owner = next((a for a in ctx.world.all("account").values()
                  if a["name"] == name and a["domainid"] == domain["id"]), None)
    if owner is None:
        raise errors.invalid_value("could not find account %s in domain %s" % (name, domain["id"]))
    return owner


def owner_filter(ctx, p):
    """Predicate on entities with an ``accountid``.

    Without account, domainid, listall=true or id, a root admin only sees its own account's resources.
    """
    world = ctx.world
    domain_id = p.get("domainid")
    if p.get("account"):
        owner = find_account(ctx, p["account"], domain_id)
        return lambda item: item["accountid"] == owner["id"]
    if domain_id:
        path = world.get("domain", domain_id)["path"]

        def in_domain(item):
            dom = world.get("domain", world.get("account", item["accountid"])["domainid"])
            return dom["path"].startswith(path) if p.get("isrecursive") else dom["id"] == domain_id

        return in_domain
    if p.get("listall") or p.get("id"):
        return lambda item: True
    own = ctx.caller["account"]["id"]
    return lambda item: item["accountid"] == own
