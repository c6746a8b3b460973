"""updateZone: sync; the lab simulates ``allocationstate`` (Enabled/Disabled)."""

from .. import render
from ..registry import command
from ._allocation import apply


@command("updateZone", params={
    "id": "uuid:zone!", "allocationstate": "string", "details": "~map", "dhcpprovider": "~string",
    "dns1": "~string", "dns2": "~string", "dnssearchorder": "~list", "domain": "~string",
    "guestcidraddress": "~string", "internaldns1": "~string", "internaldns2": "~string", "ip6dns1": "~string",
    "ip6dns2": "~string", "ispublic": "~boolean", "localstorageenabled": "~boolean", "name": "~string",
    "sortkey": "~integer",
})
def update_zone(ctx, p):
    zone = ctx.world.get("zone", p["id"])
    apply(zone, p.get("allocationstate"))
    return ctx.object_body(render.zone(ctx, zone))
