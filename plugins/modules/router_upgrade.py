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
  - Inside a wave at most O(concurrency) upgrade jobs run at the same time.
  - After each wave every router of the wave must be C(Running) and no longer require an upgrade. The first bad
    wave stops the run; the task fails with what was upgraded, what failed (with CloudStack's error) and what
    was left.
  - Routers that require an upgrade but are not C(Running) are not touched; they are reported in RV(skipped)
    (CloudStack upgrades a stopped router when it next starts).
  - Idempotent; when no router requires an upgrade nothing is written. In check mode the task lists the waves it
    would run.
extends_documentation_fragment:
  - csops.cloudstack.api
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
  zone:
    description: Only routers in this zone (name or id).
    type: str
  pod:
    description: Only routers in this pod (name or id).
    type: str
  cluster:
    description: Only routers in this cluster (name or id).
    type: str
  account:
    description: Only routers of this account. Give O(domain_id) too when the account name is not unique.
    type: str
  domain_id:
    description: Only routers of this domain.
    type: str
  ids:
    description: Only these routers (ids).
    type: list
    elements: str
  wave_size:
    description: Most routers in one wave.
    type: int
    default: 5
  first_wave_size:
    description: Routers in the first (canary) wave.
    type: int
    default: 1
  concurrency:
    description: Most upgrade jobs running at the same time inside a wave.
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
  - O(wait_timeout) bounds the whole task, all waves together.
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
diff:
  description: Versions of the routers to upgrade before, and their state after, in diff mode.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError, JobTimeoutError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.info import location_filters
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule
from ansible_collections.csops.cloudstack.plugins.module_utils.polling import Deadline, poll
from ansible_collections.csops.cloudstack.plugins.module_utils.waves import (
    WavePlanError,
    batches,
    plan_waves,
    router_problem,
)

_BAD_STATES = ("Stopped", "Error", "Destroyed", "Expunging", "Unknown", "Shutdown")
_VERIFY_SECONDS = 60


def _brief(router):
    return dict(id=router["id"], name=router.get("name"))


class RouterUpgrade:
    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.params = module.params
        self.filters = None
        self.waves = []
        self.upgraded = []
        self.failures = []
        self.jobs = []

    def fail(self, reason, **extra):
        self.module.fail_json(msg="upgrade routers: %s" % reason, **extra)

    # -- CloudStack side ----------------------------------------------------------------------------------

    def list_routers(self):
        if self.filters is None:
            filters = location_filters(self.client, self.params, ("zone", "pod", "cluster"))
            filters.update(account=self.params["account"], domainid=self.params["domain_id"], listall=True)
            self.filters = filters
        ids = self.params["ids"]
        if ids:
            routers = []
            for router_id in ids:
                routers.extend(self.client.list("listRouters", dict(self.filters, id=router_id)))
        else:
            routers = self.client.list("listRouters", self.filters)
        return {r["id"]: r for r in routers}

    def start_upgrade(self, router):
        """Start the upgrade of one router; returns the job ids (none when CloudStack sees nothing to do)."""
        answer = self.client.request("upgradeRouterTemplate", {"id": router["id"]}) or {}
        jobs = [item["jobid"] for item in answer.get("asyncjobs") or [] if item.get("jobid")]
        self.jobs.extend(jobs)
        return jobs

    # -- waves --------------------------------------------------------------------------------------------

    def run_wave(self, wave, deadline):
        """Upgrade one wave; returns the routers that failed (empty when the wave is good)."""
        bad = []
        started = {}
        for batch in batches(wave, self.params["concurrency"]):
            running = []
            for router in batch:
                try:
                    jobs = self.start_upgrade(router)
                except CloudStackError as error:
                    bad.append(dict(_brief(router), reason=error.message, jobid=None))
                    continue
                started[router["id"]] = jobs
                running.extend((router, job) for job in jobs)
            for router, job in running:
                try:
                    self.client.wait(job, "upgradeRouterTemplate", max(deadline.remaining(), 0.001))
                except JobTimeoutError:
                    bad.append(dict(_brief(router), jobid=job, reason=(
                        "upgrade job %s did not finish within wait_timeout (%ss); it may still be running in "
                        "CloudStack" % (job, self.params["wait_timeout"]))))
                except CloudStackError as error:
                    bad.append(dict(_brief(router), reason=error.message, jobid=job))
            if bad:
                break
        done_ids = set(started) - {b["id"] for b in bad}
        if done_ids:
            bad.extend(self.verify([r for r in wave if r["id"] in done_ids], deadline, started))
        attempted = set(started) | {b["id"] for b in bad}
        return bad, attempted

    def verify(self, routers, deadline, started):
        check = Deadline(min(deadline.remaining(), _VERIFY_SECONDS))

        def fetch():
            return self.list_routers()

        def done(current):
            problems = [router_problem(current.get(r["id"])) for r in routers]
            if not any(problems):
                return True
            return any(current.get(r["id"]) is None or current[r["id"]].get("state") in _BAD_STATES
                       for r in routers)

        current, _finished = poll(fetch, done, check)
        bad = []
        for router in routers:
            now = current.get(router["id"])
            problem = router_problem(now)
            if problem:
                jobs = started.get(router["id"]) or [None]
                bad.append(dict(_brief(router), reason=problem, jobid=jobs[0]))
            else:
                self.upgraded.append(dict(_brief(router), version_before=router.get("version"),
                                          version_after=now.get("version")))
        return bad

    # -- the task -----------------------------------------------------------------------------------------

    def run(self):
        params = self.params
        try:
            current = self.list_routers()
        except CloudStackError as error:
            self.module.fail_error(error, prefix="upgrade routers")
        needing = [r for r in current.values() if r.get("requiresupgrade")]
        skipped = sorted((dict(_brief(r), state=r.get("state")) for r in needing if r.get("state") != "Running"),
                         key=lambda r: r["name"] or "")
        todo = [r for r in needing if r.get("state") == "Running"]
        try:
            waves = plan_waves(todo, params["wave_size"], params["first_wave_size"], params["group_by"])
            batches([], params["concurrency"])
        except WavePlanError as error:
            self.fail(str(error))
        self.waves = [dict(number=i + 1, routers=[r.get("name") for r in wave], status="planned")
                      for i, wave in enumerate(waves)]
        result = dict(changed=bool(waves), waves=self.waves, upgraded=self.upgraded, failures=self.failures,
                      left=[_brief(r) for wave in waves for r in wave], skipped=skipped, jobs=self.jobs)
        if self.module._diff:
            result["diff"] = dict(
                before={r.get("name"): dict(version=r.get("version"), requiresupgrade=True)
                        for wave in waves for r in wave},
                after={r.get("name"): dict(requiresupgrade=False) for wave in waves for r in wave},
            )
        if self.module.check_mode or not waves:
            return result
        if not params["wait"]:
            for router in waves[0]:
                try:
                    self.start_upgrade(router)
                except CloudStackError as error:
                    self.module.fail_error(error, prefix="upgrade routers: %s" % router.get("name"), **result)
            self.waves[0]["status"] = "started"
            result["left"] = [_brief(r) for wave in waves[1:] for r in wave]
            return result
        deadline = Deadline(params["wait_timeout"])
        attempted = set()
        for number, wave in enumerate(waves, 1):
            bad, tried = self.run_wave(wave, deadline)
            attempted |= tried
            if bad:
                self.failures.extend(bad)
                self.waves[number - 1]["status"] = "failed"
                left = [_brief(r) for w in waves for r in w if r["id"] not in attempted]
                result.update(left=left)
                names = "; ".join("%s: %s" % (b["name"], b["reason"]) for b in bad)
                self.fail("wave %d of %d failed: %s (%d upgraded, %d failed, %d left)"
                          % (number, len(waves), names, len(self.upgraded), len(self.failures), len(left)),
                          **result)
            self.waves[number - 1]["status"] = "upgraded"
        result.update(left=[])
        return result


def main():
    module = CloudStackModule(
        argument_spec=dict(
            zone=dict(type="str"),
            pod=dict(type="str"),
            cluster=dict(type="str"),
            account=dict(type="str"),
            domain_id=dict(type="str"),
            ids=dict(type="list", elements="str"),
            wave_size=dict(type="int", default=5),
            first_wave_size=dict(type="int", default=1),
            concurrency=dict(type="int", default=5),
            group_by=dict(type="str", choices=["none", "zone", "pod"], default="zone"),
        ),
        with_wait=True,
        supports_check_mode=True,
    )
    module.run(lambda m: RouterUpgrade(m).run())


if __name__ == "__main__":
    main()
