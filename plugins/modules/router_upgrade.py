#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: router_upgrade
short_description: Upgrade CloudStack virtual routers to the current system VM template, in waves
version_added: 0.1.0
description:
  - Finds the virtual routers that CloudStack says require an upgrade (C(requiresupgrade)) in a scope, and
    upgrades them with C(upgradeRouterTemplate), one router per call, in waves.
  - The first wave is a canary of O(first_wave_size) routers; the other waves hold up to O(wave_size) routers.
    A wave never mixes two groups (see O(group_by)), the two routers of a redundant pair never share a wave, and
    a pair's BACKUP router is upgraded before its primary.
  - Inside a wave O(concurrency) routers are upgrading at all times until the wave runs out; as soon as one
    router's job ends the next router of the wave is started. Upgrade requests are sent a few at a time, and the
    jobs in flight are polled together.
  - After each wave every router of the wave must be C(Running) and no longer require an upgrade, as its upgrade
    job returned it or, when that is not so, as C(listRouters) shows it within 60 seconds. The first bad
    wave stops the run; the task fails with what was upgraded, what failed (with CloudStack's error), what may
    or may not have been started (RV(unknown)), what was left, and where the run stopped (RV(progress)).
  - A run can be stopped at any time (a failure, O(wait_timeout), or the task killed) and run again; a router
    that is upgraded no longer requires an upgrade, so the next run does not touch it and carries on with the
    rest.
  - Routers that require an upgrade but are not C(Running) are not touched; they are reported in RV(skipped)
    (CloudStack upgrades a stopped router when it next starts).
  - Idempotent; when no router requires an upgrade nothing is written. In check mode the task lists the waves it
    would run.
extends_documentation_fragment:
  - csops.cloudstack.api
  - csops.cloudstack.location.ZONE
  - csops.cloudstack.location.POD
  - csops.cloudstack.location.CLUSTER
  - csops.cloudstack.wait
  - csops.cloudstack.attributes
  - csops.cloudstack.attributes.API
attributes:
  check_mode:
    support: full
    details: Plans and returns the waves; no router is upgraded.
  diff_mode:
    support: full
options:
  account:
    description:
      - Only routers of this account. Give O(domain_id) too when the account name is not unique.
      - An empty value is an error; leave the option out to mean every account.
    type: str
  domain_id:
    description:
      - Only routers of this domain.
      - An empty value is an error; leave the option out to mean every domain.
    type: str
  ids:
    description:
      - Only these routers (ids).
      - An empty list, or an empty item, is an error; leave the option out to mean every router.
    type: list
    elements: str
  wave_size:
    description: Most routers in one wave; at least 1.
    type: int
    default: 5
  first_wave_size:
    description: Routers in the first (canary) wave; at least 1.
    type: int
    default: 1
  concurrency:
    description: Most routers upgrading at the same time inside a wave; at least 1.
    type: int
    default: 5
  group_by:
    description:
      - V(zone) or V(pod) keeps each wave inside one zone or one pod, finishing one before starting the next.
      - V(none) fills waves across zones and pods.
    type: str
    choices: [none, zone, pod]
    default: zone
notes:
  - O(wait_timeout) bounds the whole task, all waves and their checks together. Jobs still running when it runs
    out are reported in RV(failures) (they may still finish in CloudStack); routers not started yet stay in
    RV(left).
  - When the answer to an upgrade request is lost (a broken connection, or an HTTP 5xx from a proxy), the router
    is listed in RV(unknown), as its upgrade may have been started. The run stops after that wave; the next run
    upgrades it if it still requires an upgrade, and reports it in RV(skipped) while it is rebooting.
  - With O(wait=false) the upgrade jobs of the first wave are started and their ids returned; nothing is
    checked and no further wave is started.
  - A router requires an upgrade when CloudStack says so (C(requiresupgrade)), that is when its template version
    is below the zone's C(minreq.sysvmtemplate.version); C(upgradeRouterTemplate) leaves the other routers alone.
  - Point C(router.template.<hypervisor>) at the new template (M(csops.cloudstack.systemvm_template)) before
    upgrading; CloudStack rebuilds the routers from the template that setting names.
seealso:
  - module: csops.cloudstack.router_info
  - module: csops.cloudstack.systemvm_template
author:
  - csops.cloudstack maintainers (@csops)
"""

EXAMPLES = r"""
- name: Upgrade the routers of zone1, one canary then five at a time, three jobs in parallel
  csops.cloudstack.router_upgrade:
    zone: zone1
    first_wave_size: 1
    wave_size: 5
    concurrency: 3
    wait_timeout: 3600
  register: upgrade

- name: Show the waves that would run
  csops.cloudstack.router_upgrade:
  check_mode: true
  register: plan

- name: Carry on after a run that stopped (failed wave, wait_timeout, or interrupted); upgraded routers are skipped
  csops.cloudstack.router_upgrade:
    zone: zone1
    wave_size: 5
    concurrency: 3
  register: upgrade
"""

RETURN = r"""
waves:
  description: The waves, in order, with what happened to each.
  returned: always
  type: list
  elements: dict
  contains:
    number: {description: "Wave number, from 1.", type: int}
    routers: {description: "Router names.", type: list, elements: str}
    status: {description: "C(planned) (check mode or not reached), C(started) (O(wait=false)), C(upgraded) or C(failed).", type: str}
upgraded:
  description: Routers upgraded and verified.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Router id.", type: str}
    name: {description: "Router name.", type: str}
    version_before: {description: "Template version before.", type: str}
    version_after: {description: "Template version after.", type: str}
failures:
  description: Routers whose upgrade failed, with the reason (CloudStack's job error or the failed check).
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Router id.", type: str}
    name: {description: "Router name.", type: str}
    reason: {description: "What went wrong.", type: str}
    jobid: {description: "Id of the upgrade job, when there was one.", type: str}
unknown:
  description: Routers whose upgrade request got no answer, so their upgrade may or may not have been started.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Router id.", type: str}
    name: {description: "Router name.", type: str}
    reason: {description: "What went wrong, saying that the change may have been made.", type: str}
left:
  description: Routers that require an upgrade and were not attempted (after a bad wave, or in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Router id.", type: str}
    name: {description: "Router name.", type: str}
skipped:
  description: Routers that require an upgrade but are not Running, so were not touched.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "Router id.", type: str}
    name: {description: "Router name.", type: str}
    state: {description: "Router state.", type: str}
jobs:
  description: Ids of the upgrade jobs started.
  returned: always
  type: list
  elements: str
progress:
  description: Where the run got to; after a failure, where it stopped.
  returned: always
  type: dict
  contains:
    waves: {description: "Waves planned.", type: int}
    waves_done: {description: "Waves upgraded and checked.", type: int}
    stopped_at: {description: "Number of the wave at which the run stopped; null when it did not stop.", type: int}
    upgraded: {description: "Routers upgraded and checked.", type: int}
    failed: {description: "Routers in RV(failures).", type: int}
    unknown: {description: "Routers in RV(unknown).", type: int}
    left: {description: "Routers planned but not started.", type: int}
diff:
  description: Versions of the routers to upgrade before, and their state after, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.args import location_spec
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils._router.upgrade import RouterUpgrade


def main():
    spec = location_spec("zone", "pod", "cluster")
    spec.update(
        account=dict(type="str"),
        domain_id=dict(type="str"),
        ids=dict(type="list", elements="str"),
        wave_size=dict(type="int", default=5),
        first_wave_size=dict(type="int", default=1),
        concurrency=dict(type="int", default=5),
        group_by=dict(type="str", choices=["none", "zone", "pod"], default="zone"),
    )
    module = CloudStackModule(argument_spec=spec, with_wait=True, supports_check_mode=True,
                              selectors=("zone", "pod", "cluster", "account", "domain_id", "ids"),
                              uuids=("domain_id", "ids"))
    module.run_backend(RouterUpgrade)


if __name__ == "__main__":
    main()
