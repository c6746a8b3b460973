# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``allocation_state`` backend: enable or disable a zone, a pod or a cluster (its allocation state, which
decides whether CloudStack places new VMs and volumes there; what runs there keeps running).

``AllocationStateBackend(client, params, check_mode, diff).run()`` returns the module's result or raises a
CloudStackError.
"""

from __future__ import annotations

from .._api import lookup
from .._api.backend import ApiBackend
from .._api.errors import CloudStackError, ValidationError, shorten

UPDATE = {"zone": "updateZone", "pod": "updatePod", "cluster": "updateCluster"}
STATES = {"enabled": "Enabled", "disabled": "Disabled"}


def target_kind(params):
    """The kind the task acts on: the most specific of cluster, pod and zone given (the others narrow it)."""
    for kind in ("cluster", "pod", "zone"):
        if params.get(kind) is not None:
            return kind
    raise ValidationError("one of zone, pod or cluster is required")


class AllocationStateBackend(ApiBackend):
    def run(self):
        kind = target_kind(self.params)
        wanted = STATES[self.params["state"]]
        verb = "%s %s %s" % ("enable" if wanted == "Enabled" else "disable", kind, shorten(self.params[kind]))
        try:
            narrowing = [k for k in ("zone", "pod") if k != kind and self.params.get(k) is not None]
            scope = lookup.location_filters(self.client, self.params, narrowing, self.deadline)
            target = lookup.get(self.client, kind, self.params[kind], deadline=self.deadline, **scope)
            before = target.get("allocationstate")
            result = dict(kind=kind, id=target.get("id"), name=target.get("name"), allocationstate=before,
                          changed=before != wanted)
            if result["changed"] and not self.check_mode:
                answer = self.client.request(UPDATE[kind], {"id": target["id"], "allocationstate": wanted},
                                             self.deadline) or {}
                result["allocationstate"] = (answer.get(kind) or {}).get("allocationstate") or wanted
            elif result["changed"]:
                result["allocationstate"] = wanted
        except CloudStackError as error:
            if not error.message.startswith(verb):
                error.args = ("%s: %s" % (verb, error.message),)
            raise
        if self.diff:
            result["diff"] = dict(before=dict(allocationstate=before),
                                  after=dict(allocationstate=result["allocationstate"]))
        return result
