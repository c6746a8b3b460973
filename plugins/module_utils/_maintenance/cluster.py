# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One cluster as a maintenance step sees it: the cluster, its hosts with their capacity, and every VM on them
(user VMs, routers, system VMs), read with one listing per kind; and the ``cluster_info`` backend built on it.

``read_cluster`` returns a ClusterView; ``ClusterInfoBackend(...).run()`` returns the ``cluster_info`` result.
"""

from __future__ import annotations

from .._api import lookup
from .._api.backend import ApiBackend
from .._api.errors import ApiError
from .capacity import host_figures

# VM states in which a VM is on its way somewhere: maintenance must not start while one is in the cluster (the
# states CloudStack's rolling maintenance refuses).
TRANSITIONAL = ("Starting", "Stopping", "Migrating", "Error", "Unknown")
# Host states after which a host is not serving (a health gate fails on them).
HOST_PROBLEMS = ("Alert", "Disconnected", "Down", "Error")

USER, ROUTER, SYSTEMVM = "user", "router", "systemvm"
# CloudStack's errorcode for a parameter it cannot use (an id naming nothing, among others).
PARAM_ERROR = 431


def vm_view(row, kind):
    """The keys reported for a VM of any kind."""
    return dict(id=row.get("id"), name=row.get("name"), instancename=row.get("instancename") or row.get("name"),
                kind=kind, state=row.get("state"), hostid=row.get("hostid"), hostname=row.get("hostname"))


class ClusterView:
    """``cluster`` (listClusters row), ``hosts`` (listHosts rows), ``user_vms`` (listVirtualMachines rows) and
    ``vms`` (every VM of the cluster as ``vm_view`` dicts, user VMs first, then routers, then system VMs)."""

    def __init__(self, cluster, hosts, user_vms, routers, systemvms):
        self.cluster = cluster
        self.hosts = hosts
        self.user_vms = user_vms
        self.vms = ([vm_view(row, USER) for row in user_vms] + [vm_view(row, ROUTER) for row in routers]
                    + [vm_view(row, SYSTEMVM) for row in systemvms])

    def host(self, host_id):
        return next((h for h in self.hosts if h.get("id") == host_id), None)

    def on_host(self, host_id):
        """The VMs (``vm_view`` dicts) on host ``host_id``."""
        return [vm for vm in self.vms if vm["hostid"] == host_id]

    def running_user_vms(self, host_id):
        return [vm for vm in self.user_vms if vm.get("hostid") == host_id and vm.get("state") == "Running"]

    def transitional(self):
        return [vm for vm in self.vms if vm["state"] in TRANSITIONAL]


def read_cluster(client, cluster_id, pod_id=None, deadline=None, cluster=None):
    """A ClusterView of cluster ``cluster_id``: listClusters (unless ``cluster`` is given), listHosts,
    listVirtualMachines and listRouters by cluster, and listSystemVms by pod (kept: those on the cluster's
    hosts)."""
    if cluster is None:
        cluster = lookup.get(client, "cluster", cluster_id, deadline=deadline)
    pod_id = pod_id or cluster.get("podid")
    hosts = lookup.find(client, "host", deadline=deadline, clusterid=cluster_id)
    host_ids = {h.get("id") for h in hosts}
    user_vms = lookup.find(client, "vm", deadline=deadline, clusterid=cluster_id)
    routers = lookup.find(client, "router", deadline=deadline, clusterid=cluster_id)
    systemvms = [vm for vm in lookup.find(client, "systemvm", deadline=deadline, podid=pod_id)
                 if vm.get("hostid") in host_ids]
    return ClusterView(cluster, sorted(hosts, key=_by_name), sorted(user_vms, key=_by_name),
                       sorted(routers, key=_by_name), sorted(systemvms, key=_by_name))


def _by_name(row):
    return (row.get("name") or "", row.get("id") or "")


CLUSTER_KEYS = ("id", "name", "allocationstate", "cpuovercommitratio", "memoryovercommitratio", "hypervisortype",
                "podid", "podname", "zoneid", "zonename")
HOST_KEYS = ("id", "name", "state", "resourcestate")


def host_view(host, cluster):
    view = {key: host.get(key) for key in HOST_KEYS}
    view.update(host_figures(host, cluster))
    return view


def problems(view):
    """What a health gate fails on, one short line each: hosts in Alert, Disconnected, Down or Error, and VMs in a
    transitional state."""
    found = ["host %s is %s" % (h.get("name"), h.get("state")) for h in view.hosts if h.get("state") in HOST_PROBLEMS]
    found += ["%s %s is %s" % ("VM" if vm["kind"] == USER else vm["kind"], vm["name"], vm["state"])
              for vm in view.transitional()]
    return found


class ClusterInfoBackend(ApiBackend):
    """The ``cluster_info`` result: the cluster, its hosts, its VMs, what is transitional, the problems, and the
    given ``running_vms`` that are not Running any more."""

    def run(self):
        params = self.params
        scope = lookup.location_filters(self.client, params, ("zone", "pod"), self.deadline)
        cluster = lookup.get(self.client, "cluster", params.get("id") or params.get("name"), deadline=self.deadline,
                             **scope)
        view = read_cluster(self.client, cluster["id"], deadline=self.deadline, cluster=cluster)
        result = dict(
            changed=False,
            cluster={key: cluster.get(key) for key in CLUSTER_KEYS},
            hosts=[host_view(h, cluster) for h in view.hosts],
            vms=view.vms,
            transitional=view.transitional(),
            problems=problems(view),
        )
        if params.get("running_vms") is not None:
            result["not_running"] = self.not_running(view, params["running_vms"])
        return result

    def not_running(self, view, wanted):
        """Those of the ``wanted`` VM ids that are not Running: in the cluster's listing in another state, or, for
        VMs no longer on its hosts (stopped, moved away, gone), as one more listVirtualMachines by ids says."""
        states = {vm["id"]: vm["state"] for vm in view.vms}
        missing = [vm_id for vm_id in wanted if vm_id not in states]
        if missing:
            for row in self.read_vms(missing):
                states[row.get("id")] = row.get("state")
        return [vm_id for vm_id in wanted if states.get(vm_id) != "Running"]

    def read_vms(self, ids):
        """listVirtualMachines rows of ``ids``. CloudStack refuses the whole call (errorcode 431) when one id names
        no VM any more; then each is read alone, and those it refuses are gone."""
        try:
            return lookup.find(self.client, "vm", deadline=self.deadline, ids=ids)
        except ApiError as error:
            if error.errorcode != PARAM_ERROR:
                raise
            if len(ids) == 1:
                return []
        rows = []
        for vm_id in ids:
            rows += self.read_vms([vm_id])
        return rows
