# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rolling maintenance filters of the role kvm_rolling_maintenance.

rolling_maintenance_plan turns the hosts in scope into the run's plan (clusters, each with its hosts in order,
matched to the inventory, with what an earlier run left behind); rolling_maintenance_report turns what each
cluster recorded into the report (data and readable lines). The documentation is in rolling_maintenance_plan.yml
and rolling_maintenance_report.yml beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

NOT_IN_INVENTORY = ("fail", "api_only", "skip")
# A host this procedure recorded in its marker in one of these states is carried on by the next run.
RESUME_STATUSES = ("entering", "maintenance", "not_back")
READY = ("Up", "Enabled")
HOST_STATUSES = ("done", "checked", "skipped", "failed", "not_back", "not_started")


def _shorten(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _mappings(value, what):
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError("%s must be a list, got %s" % (what, _shorten(value)))
    for item in value:
        if not isinstance(item, Mapping):
            raise AnsibleFilterError("every item of %s must be a dict, got %s" % (what, _shorten(item)))
    return list(value)


def _inventory_match(host, inventory):
    """The inventory name of ``host``: the one named like it, else the one whose address is its ipaddress."""
    name, address = host.get("name"), host.get("ipaddress")
    if name in inventory:
        return name
    for candidate in sorted(inventory):
        if address and inventory[candidate] == address:
            return candidate
    return None


def _markers_by_cluster(markers):
    found = {}
    for marker in _mappings(markers or [], "rolling_maintenance_plan: markers"):
        cluster = marker.get("cluster") or {}
        if cluster.get("id"):
            found[cluster["id"]] = marker
    return found


def rolling_maintenance_plan(hosts, inventory=None, not_in_inventory="fail", markers=None, exclude=None,
                             forced=False, group="kvm_hosts"):
    """Plan a run from the hosts in scope (host_info rows, duplicates allowed).

    ``inventory`` maps inventory names of the group searched to their address (ansible_host). ``markers`` are
    the cluster markers earlier runs left. Returns a dict: ``clusters`` (in name order, each with ``hosts`` in
    name order: id, name, ipaddress, state, resourcestate, inventory_host, api_only, resume, marker_status;
    and disabled_earlier, resumed, marker_hosts from the cluster's marker),
    ``skipped`` (hosts left out, with the reason) and ``problems`` (lines; the run must not start when any).
    """
    if not_in_inventory not in NOT_IN_INVENTORY:
        raise AnsibleFilterError("rolling_maintenance_plan: not_in_inventory must be one of %s, got %s"
                                 % (", ".join(NOT_IN_INVENTORY), _shorten(not_in_inventory)))
    rows = _mappings(hosts, "rolling_maintenance_plan: hosts")
    if inventory is None:
        inventory = {}
    if not isinstance(inventory, Mapping):
        raise AnsibleFilterError("rolling_maintenance_plan: inventory must be a dict, got %s" % _shorten(inventory))
    excluded = set(exclude or [])
    by_cluster = _markers_by_cluster(markers)

    seen, clusters, skipped, problems = set(), {}, [], []
    for row in sorted(rows, key=lambda r: (str(r.get("clustername")), str(r.get("name")))):
        if row.get("id") in seen:
            continue
        seen.add(row.get("id"))
        if (row.get("hypervisor") or "KVM") != "KVM":
            continue
        name, cluster_id = row.get("name"), row.get("clusterid")
        cluster = clusters.setdefault(cluster_id, {
            "id": cluster_id, "name": row.get("clustername"), "podid": row.get("podid"),
            "podname": row.get("podname"), "zoneid": row.get("zoneid"), "zonename": row.get("zonename"),
            "hosts": [], "marker": by_cluster.get(cluster_id),
        })
        base = {"id": row.get("id"), "name": name, "cluster": cluster["name"]}
        if name in excluded or row.get("id") in excluded:
            skipped.append(dict(base, reason="excluded"))
            continue
        marked = ((cluster["marker"] or {}).get("hosts") or {}).get(row.get("id")) or {}
        status = marked.get("status")
        if status == "done":
            skipped.append(dict(base, reason="done by an earlier run (%s)" % marked.get("at", "?")))
            continue
        resume = status in RESUME_STATUSES
        inventory_host = _inventory_match(row, inventory)
        if inventory_host is None and not_in_inventory == "skip":
            skipped.append(dict(base, reason="not in the inventory group %s" % group))
            continue
        if inventory_host is None and not_in_inventory == "fail":
            problems.append("host %s (cluster %s, %s) is not in the inventory group %s; add it, or set "
                            "kvm_rolling_maintenance_not_in_inventory to api_only or skip"
                            % (name, cluster["name"], row.get("ipaddress"), group))
            continue
        state, resourcestate = row.get("state"), row.get("resourcestate")
        if (state, resourcestate) != READY and not resume:
            reason = "%s and %s, not Up and Enabled" % (state, resourcestate)
            if forced:
                skipped.append(dict(base, reason=reason))
            else:
                problems.append("host %s (cluster %s) is %s; bring it back or set kvm_rolling_maintenance_forced "
                                "to skip it" % (name, cluster["name"], reason))
            continue
        cluster["hosts"].append({
            "id": row.get("id"), "name": name, "ipaddress": row.get("ipaddress"), "state": state,
            "resourcestate": resourcestate, "inventory_host": inventory_host, "api_only": inventory_host is None,
            "resume": resume, "marker_status": status,
        })

    planned = sorted((c for c in clusters.values() if c["hosts"] or c["marker"]), key=lambda c: str(c["name"]))
    for cluster in planned:
        marker = cluster.pop("marker") or {}
        cluster["disabled_earlier"] = bool(marker.get("cluster_disabled"))
        cluster["resumed"] = bool(marker)
        cluster["marker_hosts"] = dict(marker.get("hosts") or {})
    if not rows:
        problems.append("no KVM host in scope")
    return {"clusters": planned, "skipped": skipped, "problems": problems}


def _duration(seconds):
    if seconds is None:
        return "?"
    seconds = float(seconds)
    if seconds < 60:
        return "%.1fs" % seconds
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return "%dm%02ds" % (minutes, rest)
    return "%dh%02dm" % divmod(minutes, 60)


def _host_line(host):
    status = host.get("status") or "not_started"
    parts = ["  %-12s %-11s" % (host.get("name"), status)]
    stages = host.get("stages") or []
    if stages:
        total = sum(float(stage.get("duration_s") or 0) for stage in stages)
        parts.append(_duration(total))
        parts.append("(" + ", ".join("%s %s" % (stage.get("name"), _duration(stage.get("duration_s")))
                                     for stage in stages) + ")")
    moved = host.get("vms_moved") or []
    if moved:
        parts.append("moved %d: %s" % (len(moved), ", ".join(
            "%s->%s" % (vm.get("name"), vm.get("to_host") or "stopped") for vm in moved)))
    if host.get("api_only"):
        parts.append("[API only]")
    if host.get("resumed"):
        parts.append("[carried on from an earlier run]")
    if host.get("reason"):
        parts.append("- " + str(host["reason"]))
    return " ".join(parts)


def rolling_maintenance_report(clusters, skipped=None, started=None, ended=None):
    """Build the report from the clusters' records (each: id, name, hosts (a list, or a dict by host id),
    errors, disabled_by_run, left_disabled) and the hosts the plan skipped. Returns a dict: ok, counts,
    duration_s, clusters, hosts (all, in order), left_in_maintenance, not_back, clusters_left_disabled, errors,
    lines."""
    records = _mappings(clusters or [], "rolling_maintenance_report: clusters")
    merged = {}
    for record in records:
        key = record.get("id") or record.get("name")
        into = merged.setdefault(key, {"id": record.get("id"), "name": record.get("name"), "hosts": [],
                                       "errors": [], "disabled_by_run": False, "left_disabled": False})
        seen = {host.get("id") for host in into["hosts"]}
        rows = record.get("hosts") or []
        if isinstance(rows, Mapping):
            rows = list(rows.values())
        rows = _mappings(rows, "rolling_maintenance_report: the hosts of cluster %s" % record.get("name"))
        into["hosts"].extend(h for h in rows if h.get("id") not in seen)
        into["errors"].extend(str(e) for e in record.get("errors") or [] if str(e) not in into["errors"])
        into["disabled_by_run"] = into["disabled_by_run"] or bool(record.get("disabled_by_run"))
        into["left_disabled"] = bool(record.get("left_disabled"))
    for host in _mappings(skipped or [], "rolling_maintenance_report: skipped"):
        key = next((k for k, c in merged.items() if c["name"] == host.get("cluster")), host.get("cluster"))
        into = merged.setdefault(key, {"id": None, "name": host.get("cluster"), "hosts": [], "errors": [],
                                       "disabled_by_run": False, "left_disabled": False})
        into["hosts"].append({"id": host.get("id"), "name": host.get("name"), "status": "skipped",
                              "reason": host.get("reason"), "stages": [], "vms_moved": []})

    ordered = sorted(merged.values(), key=lambda c: str(c["name"]))
    counts = {status: 0 for status in HOST_STATUSES}
    hosts, errors = [], []
    for cluster in ordered:
        cluster["hosts"].sort(key=lambda h: (h.get("order", 1 << 30), str(h.get("name"))))
        for host in cluster["hosts"]:
            status = host.get("status") or "not_started"
            counts[status] = counts.get(status, 0) + 1
            hosts.append(dict(host, cluster=cluster["name"], status=status))
            if host.get("error"):
                errors.append("%s: %s" % (host.get("name"), host["error"]))
        errors.extend("cluster %s: %s" % (cluster["name"], error) for error in cluster["errors"])
    left = [h["name"] for h in hosts if h.get("left_in_maintenance")]
    not_back = [h["name"] for h in hosts if h["status"] == "not_back"]
    left_disabled = [c["name"] for c in ordered if c["left_disabled"]]
    duration = None
    if started is not None and ended is not None:
        duration = round(float(ended) - float(started), 3)
    ok = not errors and not left and not left_disabled and counts["failed"] == 0 and counts["not_back"] == 0
    lines = ["rolling maintenance %s: %d hosts in %d clusters: %s; %s" % (
        "finished" if ok else "did not finish", len(hosts), len(ordered),
        ", ".join("%d %s" % (counts[s], s.replace("_", " ")) for s in HOST_STATUSES if counts[s]) or "nothing",
        _duration(duration))]
    for cluster in ordered:
        state = "left Disabled" if cluster["left_disabled"] else (
            "disabled during the run and enabled again" if cluster["disabled_by_run"] else "allocation unchanged")
        lines.append("cluster %s: %s" % (cluster["name"], state))
        lines.extend(_host_line(host) for host in cluster["hosts"])
        lines.extend("  error: %s" % error for error in cluster["errors"])
    if left:
        lines.append("left in maintenance (did not come back): %s" % ", ".join(left))
    if left_disabled:
        lines.append("clusters left disabled: %s" % ", ".join(left_disabled))
    return {"ok": ok, "counts": counts, "duration_s": duration, "clusters": ordered, "hosts": hosts,
            "left_in_maintenance": left, "not_back": not_back, "clusters_left_disabled": left_disabled,
            "errors": errors, "lines": lines}


class FilterModule:
    """The collection's filters for the rolling maintenance of KVM hosts."""

    def filters(self):
        return {"rolling_maintenance_plan": rolling_maintenance_plan,
                "rolling_maintenance_report": rolling_maintenance_report}
