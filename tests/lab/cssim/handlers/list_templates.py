from .. import errors, render
from ..acl import find_account
from ..listing import eq, hypervisor_filter, ids_filter, like, no_tags, select
from ..registry import command

FILTERS = ("featured", "self", "selfexecutable", "sharedexecutable", "executable", "community", "all")


def _visible(ctx, flt):
    """Which templates a root admin sees for a templatefilter."""
    own = ctx.caller["account"]["id"]
    return {
        "all": lambda t: True,
        "featured": lambda t: t["ispublic"] and t["isfeatured"],
        "community": lambda t: t["ispublic"] and not t["isfeatured"],
        "self": lambda t: t["accountid"] == own,
        "selfexecutable": lambda t: t["accountid"] == own,
        "sharedexecutable": lambda t: False,  # nothing is shared with the admin account in the lab
        "executable": lambda t: t["accountid"] == own or t["ispublic"],
    }[flt]


@command("listTemplates", params={
    "templatefilter": "string!", "account": "string", "arch": "string", "details": "list",
    "domainid": "uuid:domain", "extensionid": "~uuid:extension", "forcks": "~boolean", "hypervisor": "string",
    "id": "uuid:template", "ids": "list:uuid:template", "imagestoreid": "~uuid:imagestore", "isready": "boolean",
    "isrecursive": "boolean", "isvnf": "boolean", "keyword": "string", "listall": "boolean", "name": "string",
    "oscategoryid": "uuid:oscategory", "page": "integer", "pagesize": "integer",
    "parenttemplateid": "~uuid:template", "projectid": "uuid:project", "showicon": "boolean",
    "showremoved": "boolean", "showunique": "boolean", "storageid": "~uuid:storagepool", "tags": "map",
    "templatetype": "string", "zoneid": "uuid:zone",
})
def list_templates(ctx, p):
    flt = p["templatefilter"]
    if flt not in FILTERS:
        raise errors.param_error("No enum constant com.cloud.template.VirtualMachineTemplate.TemplateFilter.%s" % flt)
    world = ctx.world
    owner = find_account(ctx, p["account"], p.get("domainid")) if p.get("account") else None
    templates = select(
        world.all("template").values(),
        _visible(ctx, flt),
        ids_filter(p),
        lambda t: eq(t["name"], p.get("name")),
        lambda t: eq(t["templatetype"], p.get("templatetype")),
        lambda t: eq(t.get("arch", "x86_64"), p.get("arch")),
        lambda t: owner is None or t["accountid"] == owner["id"],
        lambda t: owner is not None or not p.get("domainid")
        or world.get("account", t["accountid"])["domainid"] == p["domainid"],
        lambda t: not p.get("isvnf"),  # the lab has no VNF templates
        hypervisor_filter(p.get("hypervisor")),
        lambda t: like([t["name"]], p.get("keyword")),
        no_tags(p),
    )
    rows = []  # one row per zone a template is in (showunique: one per template)
    for tpl in templates:
        for row in render.template_rows(ctx, tpl):
            if p.get("zoneid") and row["zoneid"] != p["zoneid"]:
                continue
            rows.append(row)
            if p.get("showunique"):
                break
    page, total = ctx.paginate(rows, p)
    return ctx.list_body(page, total)
