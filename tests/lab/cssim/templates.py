"""Templates: per-zone download progress, failures, versions and the zone's current router template.

A registered template carries ``downloads``: ``{zoneid: {"started", "duration", "fail"}}`` (epoch seconds).
Seeded templates have none and are ready everywhere. The status text of a zone row is computed from the
clock, as CloudStack's TemplateJoinDao does from template_store_ref:

- first 80% of the duration: ``"<n>% Downloaded"`` (0..99), then ``"Installing Template"`` (100%),
- then ``"Download Complete"`` and ``isready`` true,
- a failure replaces the text with its error string (``isready`` stays false): at 10% of the duration for
  ``at="start"`` (unreachable URL; a template_fail fault added during the download: at once) or at the end
  for ``at="end"`` (checksum, post-download script).

Failures come from the URL (host ``unreachable...`` or a URL containing ``unreachable``; a URL containing
``bad-checksum``) or from a ``template_fail`` fault (see faults.py).
"""

import hashlib
import re
import time
from urllib.parse import urlsplit

DOWNLOAD_SHARE = 0.8  # share of the duration shown as "n% Downloaded"; the rest is "Installing Template"
EARLY_FAILURE = 0.1  # where an at="start" failure happens
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)*")


def version_from(name, url=None):
    """Template version as the lab derives it: the first dotted number in the name, else in the URL's file
    name ("systemvm-kvm-4.20.1" -> "4.20.1", ".../systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2" -> "4.20.1")."""
    for text in (name, urlsplit(url or "").path.rsplit("/", 1)[-1]):
        match = _VERSION.search(text or "")
        if match:
            return match.group(0)
    return None


def checksum_text(url):
    """A made-up checksum for the file at ``url`` (what the lab pretends the download produced)."""
    return "{MD5}" + hashlib.md5((url or "").encode()).hexdigest()


def unreachable_status(url):
    host = urlsplit(url or "").hostname or url
    return "Failed to download template from %s: unable to connect to %s (connection timed out)" % (url, host)


def checksum_status(url, checksum):
    return ("Failed post download script: checksum of the downloaded file %s does not match the given checksum %s"
            % (checksum_text(url), checksum or "(none given)"))


def failure_from_url(url, checksum):
    """The failure the lab simulates for a URL, by convention, or None."""
    host = (urlsplit(url or "").hostname or "").lower()
    if host.startswith("unreachable") or "unreachable" in (url or "").lower():
        return {"status": unreachable_status(url), "at": "start"}
    if "bad-checksum" in (url or "").lower():
        return {"status": checksum_status(url, checksum), "at": "end"}
    return None


def zone_status(tpl, zone_id, now=None):
    """(isready, status text, percent) of a template in one zone."""
    download = (tpl.get("downloads") or {}).get(zone_id)
    if download is None:
        return True, "Download Complete", 100
    now = time.time() if now is None else now
    elapsed = now - download["started"]
    duration = float(download["duration"])
    fail = download.get("fail")
    if fail:
        fails_at = duration * (EARLY_FAILURE if fail.get("at") == "start" else 1.0)
        if fail.get("time") is not None:
            fails_at = min(fails_at, fail["time"] - download["started"])
        if elapsed >= fails_at:
            return False, fail["status"], None
    if elapsed >= duration and not fail:
        return True, "Download Complete", 100
    if duration <= 0 or elapsed >= duration * DOWNLOAD_SHARE:
        return False, "Installing Template", 100
    percent = min(99, int(100 * max(elapsed, 0) / (duration * DOWNLOAD_SHARE)))
    return False, "%d%% Downloaded" % percent, percent


def ready_in(tpl, zone_id, now=None):
    return zone_id in tpl["zoneids"] and zone_status(tpl, zone_id, now)[0]


def downloading(tpl, now=None):
    """Zone ids where the template has neither finished nor failed yet."""
    out = []
    for zone_id in (tpl.get("downloads") or {}):
        ready, status, _pct = zone_status(tpl, zone_id, now)
        if not ready and not status.startswith("Failed"):
            out.append(zone_id)
    return out


def fail_download(tpl, zone_id, status, at="end", now=None):
    """Make a download that has not finished fail (the template_fail fault): at="start" fails it now."""
    download = tpl["downloads"][zone_id]
    download["fail"] = {"status": status, "at": at}
    if at == "start":
        download["fail"]["time"] = time.time() if now is None else now


def router_template(ctx, zone_id, hypervisor="KVM"):
    """The template named by the zone's ``router.template.<hypervisor>`` setting, ready in that zone (the newest
    one when several share the name), or None."""
    name = ctx.setting("router.template.%s" % hypervisor.lower(), "zone", zone_id)
    candidates = [t for t in ctx.world.all("template").values()
                  if t["name"] == name and t["hypervisor"].lower() == hypervisor.lower() and ready_in(t, zone_id)]
    return max(candidates, key=lambda t: t["created"]) if candidates else None


def system_vm_template(ctx, zone_id, hypervisor="KVM"):
    """The template CloudStack builds a new SSVM or CPVM from (VMTemplateDao.findSystemVMReadyTemplate): the newest
    SYSTEM template of the hypervisor that is ready in the zone, or None. Unlike routers, no setting names it."""
    candidates = [t for t in ctx.world.all("template").values()
                  if t.get("templatetype") == "SYSTEM" and t["hypervisor"].lower() == hypervisor.lower()
                  and ready_in(t, zone_id)]
    return max(candidates, key=lambda t: (t["created"], t["id"])) if candidates else None


def template_version(tpl):
    return (tpl or {}).get("version") or version_from((tpl or {}).get("name"), (tpl or {}).get("url"))
