"""The systemvm_template backend against a private simulator: register and wait, idempotence, check mode,
input refused before anything is sent, URLs with ``~``, and wait_timeout as a true bound with slow polls."""

import time

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError, ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._template.backend import TemplateBackend

NAME = "systemvm-kvm-4.20.1"
URL = "http://download.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"


def params(**extra):
    base = dict(name=NAME, url=URL, checksum=None, hypervisor="kvm", format=None, display_text=None, zones=None,
                os_type_id=None, template_type="system", set_router_template=False, wait=True, wait_timeout=30)
    base.update(extra)
    return base


def backend(client, check_mode=False, diff=False, **extra):
    args = params(**extra)
    return TemplateBackend(client, args, check_mode, diff, Deadline(args["wait_timeout"]))


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def test_register_wait_and_second_run(control, client):
    mark = control.mark()
    check = backend(client, check_mode=True, diff=True, set_router_template=True).run()
    assert check["changed"] is True and check["template"] is None
    assert writes(control, mark) == []

    first = backend(client, set_router_template=True).run()
    assert first["changed"] is True and first["template"]["ready"] is True
    assert [d["state"] for d in first["download"]] == ["ready", "ready"]
    assert first["waited"] > 0 and first["progress"]
    assert writes(control, mark) == ["registerTemplate"] + ["updateConfiguration"] * 3

    mark = control.mark()
    again = backend(client, set_router_template=True).run()
    assert again["changed"] is False and again["waited"] == 0 and again["progress"] == []
    assert writes(control, mark) == []


def test_url_with_tilde_registers(control, client):
    """The transport signs ``~`` the way CloudStack checks it, so such a URL registers and is stored as given."""
    url = "http://mirror.lab.invalid/~ops/systemvm/systemvmtemplate-4.20.3-kvm.qcow2.bz2"
    result = backend(client, name="systemvm-kvm-4.20.3", url=url).run()
    assert result["changed"] is True and result["template"]["ready"] is True
    assert result["template"]["url"] == url
    assert backend(client, name="systemvm-kvm-4.20.3", url=url).run()["changed"] is False


@pytest.mark.parametrize("extra,message", [
    (dict(url="http:///x"), "url http:///x names no host"),
    (dict(url="http://"), "url http:// names no host"),
    (dict(url="ftp://mirror.lab.invalid/x.qcow2"), "url must be an http:// or https:// URL"),
    (dict(checksum=""), "checksum must be hex digits, optionally prefixed by {ALGORITHM}, got ''"),
    (dict(hypervisor="bhyve"), "hypervisor bhyve is unknown"),
    (dict(wait=False, set_router_template=True), "set_router_template=true needs wait=true"),
])
def test_bad_input_is_refused_before_anything_is_sent(control, client, extra, message):
    mark = control.mark()
    with pytest.raises(ValidationError) as info:
        backend(client, **extra).run()
    assert info.value.message.startswith("register template %s: %s" % (NAME, message)), info.value.message
    assert control.requests(mark) == []


def test_download_failure_carries_the_progress(control, client):
    url = "http://unreachable.lab.invalid/systemvmtemplate-4.21.0-kvm.qcow2.bz2"
    with pytest.raises(CloudStackError) as info:
        backend(client, name="systemvm-kvm-4.21.0", url=url, set_router_template=True).run()
    message = info.value.message
    assert message.startswith("register template systemvm-kvm-4.21.0: download failed: lab-zone1: Failed to "
                              "download template from %s" % url), message
    assert info.value.result["changed"] is True
    assert [d["state"] for d in info.value.result["download"]] == ["failed", "failed"]


@pytest.mark.parametrize("latency", [0, 1.5, 4])
def test_wait_timeout_bounds_the_task_even_with_slow_polls(control, client, latency):
    """A download that takes 60 s, a 6 s wait_timeout, and every listTemplates answer delayed by ``latency``
    seconds: without the deadline reaching each poll, the last poll alone would run past the budget."""
    old = client.list("listTemplates", {"templatefilter": "all", "name": "systemvm-kvm-4.19.0"})[0]
    control.set_job_durations(templateDownload=60)
    if latency:
        control.add_fault({"kind": "latency", "command": "listTemplates", "seconds": latency})
    start = time.monotonic()
    with pytest.raises(CloudStackError) as info:
        backend(client, name="systemvm-kvm-4.21.5", url=URL.replace("4.20.1", "4.21.5"), os_type_id=old["ostypeid"],
                wait_timeout=6).run()
    elapsed = time.monotonic() - start
    assert elapsed < 6.8, "took %.1fs for a 6s wait_timeout" % elapsed
    message = info.value.message
    assert message.startswith("register template systemvm-kvm-4.21.5: "), message
    assert "wait_timeout" in message and "6s" in message, message
    assert "\n" not in message
    if not latency:
        assert "not ready within wait_timeout (6s): lab-zone1: " in message
        assert info.value.result["changed"] is True and info.value.result["template"]["ready"] is False
