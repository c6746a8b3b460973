"""updateHost: sync; the lab simulates ``allocationstate`` (Enable/Disable, ResourceState's transitions)."""

from .. import errors, maintenance, render
from ..registry import command

# ResourceState's state machine for the admin's Enable/Disable events (current state -> next state)
TRANSITIONS = {
    "Enable": {"Enabled": "Enabled", "Disabled": "Enabled"},
    "Disable": {"Enabled": "Disabled", "Disabled": "Disabled", "ErrorInPrepareForMaintenance": "Disabled",
                "ErrorInMaintenance": "Disabled"},
}


@command("updateHost", params={
    "id": "uuid:host!", "allocationstate": "string", "annotation": "~string", "cleanupexternaldetails": "~boolean",
    "externaldetails": "~map", "hosttags": "~list", "istagarule": "~boolean", "name": "~string",
    "oscategoryid": "~uuid:oscategory", "url": "~string",
})
def update_host(ctx, p):
    host = ctx.world.get("host", p["id"])
    event = p.get("allocationstate")
    if event and event.strip():
        try:
            if event not in TRANSITIONS:  # ResourceState.Event.toEvent is case-sensitive
                raise errors.invalid_value("Invalid allocation state: %s, only Enable/Disable are allowed" % event)
            following = TRANSITIONS[event].get(host["resourcestate"])
            if following is None:
                raise errors.internal_error("No next resource state found for current state = %s event = %s"
                                            % (host["resourcestate"], event))
        except errors.ApiError as exc:  # UpdateHostCmd.execute turns every exception into a 530
            raise errors.internal_error("Failed to update host: %s with id %d, %s"
                                        % (maintenance.host_text(ctx.world, host),
                                           list(ctx.world.all("host")).index(host["id"]) + 1, exc.errortext))
        host["resourcestate"] = following
    return ctx.object_body(render.host(ctx, host))
