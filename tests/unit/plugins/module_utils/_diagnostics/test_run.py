"""The diagnostics backend against a private simulator: the output as CloudStack answers it, bad input refused
before any API call, the VM found among system VMs and routers, a VM without a host refused before the job."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import (
    CloudStackError, NotFoundError, ValidationError)
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._diagnostics.run import DiagnosticsBackend


def run(client, **extra):
    params = dict(name="s-1-VM", id=None, type="ping", ipaddress="10.250.0.2", params=None, wait=True,
                  wait_timeout=30)
    params.update(extra)
    return DiagnosticsBackend(client, params, False, False, Deadline(params["wait_timeout"])).run()


def test_ping_returns_the_output_and_a_numeric_exit_code(control, client):
    mark = control.mark()
    result = run(client, type="PING", params="-c 2")
    assert result["changed"] is False
    assert result["exitcode"] == 0 and result["success"] is True
    assert result["stdout_lines"][0].startswith("PING 10.250.0.2")
    assert "2 packets transmitted, 2 received" in result["stdout"]
    assert result["vm"]["name"] == "s-1-VM" and result["vm"]["type"] == "secondarystoragevm"
    assert result["command_line"] == "ping 10.250.0.2 -c 2"
    sent = [r for r in control.requests(mark) if r["command"] == "runDiagnostics"]
    assert len(sent) == 1
    assert sent[0]["params"]["type"] == "ping" and sent[0]["params"]["params"] == "-c 2"


def test_a_failing_command_is_a_result_not_an_error(control, client):
    result = run(client, type="arping", ipaddress="no-such-host.lab")
    assert result["success"] is False and result["exitcode"] == 2
    assert "Name or service not known" in result["stderr"]


def test_a_router_by_name_and_a_system_vm_by_id(control, client):
    router = run(client, name="r-10-VM", type="traceroute")
    assert router["vm"]["type"] == "router" and router["success"] is True
    vm_id = client.list("listSystemVms", {"name": "v-2-VM"})[0]["id"]
    proxy = run(client, name=None, id=vm_id)
    assert proxy["vm"]["name"] == "v-2-VM" and proxy["vm"]["type"] == "consoleproxy"


@pytest.mark.parametrize("extra,message", [
    (dict(type="nslookup"), "run diagnostics on s-1-VM: type nslookup is not a valid diagnostics command type: use "
                            "ping, traceroute or arping"),
    (dict(params="-c 2; reboot"), "run diagnostics on s-1-VM: params contain unwanted characters (CloudStack allows "
                                  "only letters, digits, _, -, . and spaces): -c 2; reboot"),
    (dict(ipaddress="10.0.0.1 -f"), "run diagnostics on s-1-VM: ipaddress must be an IP address or a host name, got "
                                    "10.0.0.1 -f"),
])
def test_bad_input_fails_before_any_api_call(control, client, extra, message):
    mark = control.mark()
    with pytest.raises(ValidationError) as info:
        run(client, **extra)
    assert info.value.message == message
    assert control.requests(mark) == []


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("extra", [dict(params="-c 1\nreboot"), dict(params="-c 1\rreboot"),
                                   dict(ipaddress="10.0.0.1\nreboot")])
def test_control_characters_are_refused_before_any_api_call(control, client, extra, check_mode):
    """A line break would reach the shell that runs the command line in the VM."""
    mark = control.mark()
    params = dict(name="s-1-VM", id=None, type="ping", ipaddress="10.250.0.2", params=None, wait=True,
                  wait_timeout=30)
    params.update(extra)
    with pytest.raises(ValidationError) as info:
        DiagnosticsBackend(client, params, check_mode, False, Deadline(30)).run()
    assert "without control characters" in info.value.message and "\n" not in info.value.message
    assert control.requests(mark) == []


def test_unknown_vm(control, client):
    mark = control.mark()
    with pytest.raises(NotFoundError) as info:
        run(client, name="r-999-VM")
    assert info.value.message == "run diagnostics on r-999-VM: no system VM or router has name r-999-VM"
    assert control.write_calls(mark) == []


def test_a_vm_without_a_host_is_refused_before_the_job(control, client):
    client.run("stopSystemVm", {"id": client.list("listSystemVms", {"name": "v-2-VM"})[0]["id"]}, Deadline(30))
    mark = control.mark()
    with pytest.raises(CloudStackError) as info:
        run(client, name="v-2-VM")
    assert info.value.message == ("run diagnostics on v-2-VM: v-2-VM is Stopped and runs on no host; diagnostics "
                                  "need a running VM")
    assert control.write_calls(mark) == []


def test_not_waiting_returns_the_job(control, client):
    result = run(client, wait=False)
    assert result["jobid"] and "stdout" not in result and result["changed"] is False
