# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System VM templates: the rules of the ``systemvm_template`` backend (input checks, download progress, the
readiness predicate the waiter uses). Pure functions; nothing here talks to CloudStack.

``listTemplates`` answers one row per zone for a template. A row is ready when ``isready`` is true. While the
image is copied to secondary storage ``status`` reads like ``45% Downloaded`` (then ``Installing Template``)
and ``downloaddetails`` holds one ``{datastore, downloadPercent, downloadState}`` per image store; a failed
download has ``downloadState`` ``DOWNLOAD_ERROR`` or ``ABANDONED`` and CloudStack's error text in ``status``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .._api.errors import ValidationError, shorten

# registerTemplate ``format`` for each hypervisor, as the CloudStack admin guide lists the system VM templates.
DEFAULT_FORMATS = {
    "kvm": "QCOW2",
    "xenserver": "VHD",
    "vmware": "OVA",
    "hyperv": "VHD",
    "lxc": "QCOW2",
    "ovm3": "RAW",
}

# The spelling CloudStack uses for each hypervisor in API parameters and answers.
HYPERVISOR_NAMES = {
    "kvm": "KVM",
    "xenserver": "XenServer",
    "vmware": "VMware",
    "hyperv": "Hyperv",
    "lxc": "LXC",
    "ovm3": "Ovm3",
}

# Hypervisors with a router.template.<hypervisor> setting.
ROUTER_TEMPLATE_SETTINGS = {
    "kvm": "router.template.kvm",
    "xenserver": "router.template.xenserver",
    "vmware": "router.template.vmware",
    "hyperv": "router.template.hyperv",
    "lxc": "router.template.lxc",
    "ovm3": "router.template.ovm3",
}

READY = "ready"
PENDING = "pending"
FAILED = "failed"
MISSING = "missing"

_FAILED_STATES = ("DOWNLOAD_ERROR", "ABANDONED")
_FAILED_WORDS = re.compile(r"\b(error|failed|failure|abandoned|invalid|unable|not found|cannot)\b", re.IGNORECASE)
_PERCENT_RE = re.compile(r"(\d{1,3})\s*%")
_CHECKSUM_RE = re.compile(r"^\s*(?:\{(?P<algo>[A-Za-z0-9-]+)\})?\s*(?P<digest>[0-9A-Fa-f]+)\s*$")


def hypervisor_key(name):
    """``kvm``, ``xenserver``... for any spelling of a hypervisor name; raises ValidationError if unknown."""
    key = str(name or "").strip().lower().replace("-", "").replace(" ", "")
    if key not in HYPERVISOR_NAMES:
        raise ValidationError("hypervisor %s is unknown (expected one of %s)"
                              % (shorten(name), ", ".join(sorted(HYPERVISOR_NAMES.values()))))
    return key


def check_url(url):
    """Raise ValidationError unless ``url`` is an http:// or https:// URL with a host.

    Everything else in the URL (``~``, ``%``, a query) is left for CloudStack and the image server to judge."""
    text = str(url or "")
    try:
        parts = urlsplit(text.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises ValueError here
    except ValueError:
        raise ValidationError("url %s is not a valid URL" % shorten(text)) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("url must be an http:// or https:// URL, got %s" % shorten(text))
    if not host:
        raise ValidationError("url %s names no host" % shorten(text))
    if text != text.strip() or any(ch.isspace() for ch in text):
        raise ValidationError("url %s contains white space" % shorten(text))


def canonical_checksum(value):
    """``(algorithm or None, lower-case digest)`` of a checksum such as ``{SHA-512}ab12...`` or ``ab12...``; None
    for None. Raises ValidationError for anything else."""
    if value is None:
        return None
    match = _CHECKSUM_RE.match(str(value))
    if not match:
        raise ValidationError("checksum must be hex digits, optionally prefixed by {ALGORITHM}, got %s"
                              % shorten(value))
    algo = match.group("algo")
    return (algo.upper().replace("-", "") if algo else None, match.group("digest").lower())


def same_checksum(current, wanted):
    """Whether two checksums are the same; an algorithm prefix on one side only does not make them differ."""
    b = canonical_checksum(wanted)
    try:
        a = canonical_checksum(current or None)
    except ValidationError:  # CloudStack stored something that is not a digest: it is not ours either
        return False
    if a is None or b is None:
        return a == b
    if a[0] and b[0] and a[0] != b[0]:
        return False
    return a[1] == b[1]


def same_url(current, wanted):
    return str(current or "").strip() == str(wanted or "").strip()


def mismatches(template, url, checksum):
    """Names of the identity fields (``url``, ``checksum``) where ``template`` differs from the request."""
    found = []
    if not same_url(template.get("url"), url):
        found.append("url")
    if checksum is not None and not same_checksum(template.get("checksum"), checksum):
        found.append("checksum")
    return found


def percent_of(row):
    """Download progress of one listTemplates row, 0 to 100, or None when CloudStack gives none."""
    if row.get("isready"):
        return 100
    details = row.get("downloaddetails") or []
    values = []
    for detail in details:
        try:
            values.append(int(float(detail.get("downloadPercent"))))
        except (TypeError, ValueError):
            continue
    if values:
        return max(0, min(100, *values))
    match = _PERCENT_RE.search(str(row.get("status") or ""))
    if match:
        return max(0, min(100, int(match.group(1))))
    return None


def row_state(row):
    """READY, FAILED or PENDING for one listTemplates row."""
    if row.get("isready"):
        return READY
    details = row.get("downloaddetails") or []
    if any(str(d.get("downloadState") or "").upper() in _FAILED_STATES for d in details):
        return FAILED
    status = str(row.get("status") or "")
    if not details and _FAILED_WORDS.search(status) and not _PERCENT_RE.search(status):
        return FAILED
    return PENDING


def zone_progress(rows, zone_ids, zone_names=None):
    """One entry per wanted zone, in ``zone_ids`` order: ``{zoneid, zonename, state, status, percent}``.

    A zone without a row is MISSING (CloudStack has not created the download there yet)."""
    zone_names = zone_names or {}
    by_zone = {}
    for row in rows:
        by_zone.setdefault(row.get("zoneid"), row)
    progress = []
    for zone_id in zone_ids:
        row = by_zone.get(zone_id)
        if row is None:
            progress.append(dict(zoneid=zone_id, zonename=zone_names.get(zone_id), state=MISSING, status=None,
                                 percent=None))
            continue
        progress.append(dict(
            zoneid=zone_id,
            zonename=row.get("zonename") or zone_names.get(zone_id),
            state=row_state(row),
            status=row.get("status"),
            percent=percent_of(row),
        ))
    return progress


def is_ready(progress):
    """Whether the template is ready in every wanted zone."""
    return overall(progress) == READY


def is_settled(progress):
    """Whether waiting can stop: ready everywhere, or failed somewhere (a failed download never recovers)."""
    return overall(progress) in (READY, FAILED)


def overall(progress):
    """READY when every zone is ready, FAILED when any failed, else PENDING."""
    states = [p["state"] for p in progress]
    if any(s == FAILED for s in states):
        return FAILED
    if states and all(s == READY for s in states):
        return READY
    return PENDING


def describe(progress):
    """``zone1: Download Complete, zone2: 45% Downloaded`` for messages."""
    parts = []
    for item in progress:
        status = item["status"] or ("not started" if item["state"] == MISSING else item["state"])
        parts.append("%s: %s" % (item["zonename"] or item["zoneid"], status))
    return ", ".join(parts)


def failure_text(progress):
    """CloudStack's status text of the failed zones, for the error message."""
    return "; ".join("%s: %s" % (p["zonename"] or p["zoneid"], p["status"] or "download failed")
                     for p in progress if p["state"] == FAILED)
