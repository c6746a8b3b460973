"""registerTemplate: synchronous; answers the template's rows (one per zone) at once, then each zone downloads
over time (see cssim.templates)."""

import time

from .. import errors, render, templates
from ..acl import find_account
from ..listing import HYPERVISORS
from ..registry import command
from ..world import stable_id

FORMATS = ("QCOW2", "RAW", "VHD", "VHDX", "OVA", "ISO", "VMDK", "TAR", "BAREMETAL", "DIR")
ADMIN_TYPES = ("USER", "VNF", "SYSTEM", "ROUTING", "BUILTIN")
# guest OS types the lab knows (listOsTypes is not simulated): ids are uuid5("ostype:<name>")
OS_TYPES = ("Debian GNU/Linux 12 (64-bit)", "Debian GNU/Linux 11 (64-bit)", "Other Linux (64-bit)",
            "Ubuntu 22.04 LTS", "Rocky Linux 9")


def _os_type(ctx, ostype_id):
    names = set(OS_TYPES) | {t["ostypename"] for t in ctx.world.all("template").values()}
    for name in names:
        if stable_id("ostype", name) == ostype_id:
            return name
    raise errors.param_error(
        "Unable to execute API command registertemplate due to invalid value. Invalid parameter ostypeid value=%s "
        "due to incorrect long value format, or entity does not exist or due to incorrect parameter annotation for "
        "the field in api cmd class." % ostype_id)


def _zones(ctx, p):
    """(zone ids, cross-zone) as RegisterTemplateCmd.validateParameters and getZoneIds decide them."""
    zoneids = p.get("zoneids") or []
    if p.get("zoneid") is not None and zoneids:
        raise errors.param_error("Both zoneid and zoneids cannot be specified at the same time")
    if p.get("zoneid") is None and not zoneids:
        raise errors.param_error("Either zoneid or zoneids is required. Could not find any zone id.")
    if len(zoneids) > 1 and "-1" in zoneids:
        raise errors.param_error("Parameter zoneids cannot combine all zones (-1) option with other zones")
    wanted = zoneids or [p["zoneid"]]
    if wanted == ["-1"]:
        return list(ctx.world.all("zone")), True
    return list(dict.fromkeys(wanted)), False


def _template_type(p):
    if p.get("templatetype"):
        kind = p["templatetype"].upper()
        if kind not in ADMIN_TYPES:
            raise errors.invalid_value("Please specify a valid template type: %s" % ", ".join(ADMIN_TYPES))
        return kind
    return "ROUTING" if p.get("isrouting") else "USER"


def _new_id(ctx, name):
    candidate, n = stable_id("template", name), 1
    while ctx.world.exists("template", candidate):
        n += 1
        candidate = stable_id("template", "%s#%d" % (name, n))
    return candidate


@command("registerTemplate", params={
    "displaytext": "string!", "format": "string!", "hypervisor": "string!", "name": "string!", "url": "string!",
    "account": "string", "arch": "string", "bits": "integer", "checksum": "string", "deployasis": "~boolean",
    "details": "~map", "directdownload": "~boolean", "domainid": "uuid:domain", "extensionid": "~uuid:extension",
    "externaldetails": "~map", "forcks": "~boolean", "isdynamicallyscalable": "boolean", "isextractable": "boolean",
    "isfeatured": "boolean", "ispublic": "boolean", "isrouting": "boolean", "ostypeid": "uuid",
    "passwordenabled": "boolean", "projectid": "~uuid:project", "requireshvm": "boolean", "sshkeyenabled": "boolean",
    "templatetag": "string", "templatetype": "string", "zoneid": "uuid:zone|-1", "zoneids": "list:uuid:zone|-1",
})
def register_template(ctx, p):
    zone_ids, cross = _zones(ctx, p)
    if p.get("ostypeid") is None:
        raise errors.param_error("Please provide a guest OS type (ostypeid) for the template")
    ostypename = _os_type(ctx, p["ostypeid"])
    hypervisor = HYPERVISORS.get(p["hypervisor"].lower())
    if hypervisor is None:
        raise errors.invalid_value("Hypervisor Type: %s is invalid. Supported Hypervisor types are %s"
                                   % (p["hypervisor"], ", ".join(sorted(HYPERVISORS.values()))))
    fmt = p["format"].upper()
    if fmt not in FORMATS:
        raise errors.invalid_value("Image format: %s is incorrect. Supported formats are %s"
                                   % (p["format"], ", ".join(FORMATS)))
    if p.get("arch", "x86_64") not in ("x86_64", "aarch64", "s390x"):
        raise errors.invalid_value("Invalid arch %s; valid options are x86_64, aarch64, s390x" % p["arch"])
    if p.get("account") and not p.get("domainid"):
        raise errors.invalid_value("Account name and domain id must both be given")
    owner = find_account(ctx, p["account"], p["domainid"]) if p.get("account") else ctx.caller["account"]
    now = time.time()
    duration = ctx.jobs.duration("templateDownload")
    url_failure = templates.failure_from_url(p["url"], p.get("checksum"))
    tpl = {
        "id": _new_id(ctx, p["name"]), "name": p["name"], "created": now, "displaytext": p["displaytext"] or p["name"],
        "hypervisor": hypervisor, "format": fmt, "templatetype": _template_type(p),
        "version": templates.version_from(p["name"], p["url"]), "url": p["url"], "checksum": p.get("checksum"),
        "zoneids": zone_ids, "crosszones": cross, "ispublic": p.get("ispublic", True),
        "isfeatured": p.get("isfeatured", False), "accountid": owner["id"], "ostypename": ostypename,
        "size": 5 * render.GIB, "physicalsize": 600 * 1024**2, "arch": p.get("arch", "x86_64"),
        "templatetag": p.get("templatetag"), "registered": True, "downloads": {},
    }
    for flag in ("passwordenabled", "sshkeyenabled", "isextractable", "requireshvm", "isdynamicallyscalable", "bits"):
        if p.get(flag) is not None:
            tpl[flag] = p[flag]
    for zone_id in zone_ids:
        fault = ctx.sim.faults.template_failure(p["name"], zone_id)
        fail = url_failure
        if fault:
            fail = {"status": ctx.sim.faults.template_status(fault, tpl), "at": fault["at"]}
        tpl["downloads"][zone_id] = {"started": now, "duration": duration, "fail": fail}
    ctx.world.all("template")[tpl["id"]] = tpl
    rows = render.template_rows(ctx, tpl)
    return ctx.list_body(rows, len(rows))
