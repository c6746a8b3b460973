"""The diagnostics rules: CloudStack's own checks of runDiagnostics input, the files list, the manifest."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._diagnostics import rules


@pytest.mark.parametrize("value,expected", [("ping", "ping"), ("PING", "ping"), ("TraceRoute", "traceroute"),
                                            ("arping", "arping")])
def test_types_match_in_any_case_like_cloudstack(value, expected):
    assert rules.check_type(value) == expected


@pytest.mark.parametrize("value", ["tracert", "", " ping", "ping;", None, "nslookup"])
def test_other_types_are_refused(value):
    with pytest.raises(ValidationError) as info:
        rules.check_type(value)
    assert "is not a valid diagnostics command type: use ping, traceroute or arping" in info.value.message


@pytest.mark.parametrize("value", ["-c 4", "-c 10 -W 1", "-I eth0", "-m 5 -n", "-w 3", "a_b.c-d"])
def test_params_cloudstack_accepts(value):
    assert rules.check_params(value) == value


@pytest.mark.parametrize("value", ["-c 4; reboot", "$(id)", "-c 4 | tee", "`x`", "-c=4", "a/b", "-c 4 > f", "ü"])
def test_params_with_unwanted_characters_are_refused(value):
    with pytest.raises(ValidationError) as info:
        rules.check_params(value)
    assert info.value.message.startswith("params contain unwanted characters")


@pytest.mark.parametrize("value", ["-c 1\nreboot", "-c 1\rreboot", "-c 1\r\nreboot", "-w\t3", "-c 1\x00",
                                   "-c 1\x0breboot", "-c 1\x1b[2J", "-c 1\n"])
def test_params_with_control_characters_are_refused(value):
    """CloudStack's \\s lets these through, and the VM's shell would run a second line as a command."""
    with pytest.raises(ValidationError) as info:
        rules.check_params(value)
    assert info.value.message.startswith("params must be one line without control characters")
    assert "\n" not in info.value.message and "\r" not in info.value.message


def test_no_params_is_none():
    assert rules.check_params(None) is None and rules.check_params("") is None


@pytest.mark.parametrize("value", ["10.1.1.1", "fe80::1", "nfs.example.com", "localhost", "router-1.lab.",
                                   "8.8.8.8"])
def test_addresses(value):
    assert rules.check_address(value) == value


@pytest.mark.parametrize("value,message", [
    ("", "ipaddress must not be empty"),
    ("  ", "ipaddress must not be empty"),
    ("10.1.1.1 -c 100", "ipaddress must be an IP address or a host name, got 10.1.1.1 -c 100"),
    ("10.1.1.1;reboot", "ipaddress must be an IP address or a host name, got 10.1.1.1;reboot"),
    ("-f", "ipaddress must be an IP address or a host name, got -f"),
    ("10.1.1.300", "ipaddress must be an IP address or a host name, got 10.1.1.300"),
    ("a..b", "ipaddress must be an IP address or a host name, got a..b"),
    ("10.1.1.1\n10.1.1.2", "ipaddress must be one line without control characters, got '10.1.1.1\\n10.1.1.2'"),
    ("router\n", "ipaddress must be one line without control characters, got 'router\\n'"),
    ("router\rx", "ipaddress must be one line without control characters, got 'router\\rx'"),
])
def test_bad_addresses(value, message):
    with pytest.raises(ValidationError) as info:
        rules.check_address(value)
    assert info.value.message == message


def test_command_line_is_cloudstacks():
    assert rules.command_line("ping", "10.1.1.1", None) == "ping 10.1.1.1"
    assert rules.command_line("arping", "10.1.1.1", "-c 2") == "arping 10.1.1.1 -c 2"


def test_files():
    assert rules.check_files(None) is None
    files = ["iptables", "[IPTABLES]", "/var/log/cloud.log"]
    assert rules.check_files(files) == files


@pytest.mark.parametrize("files,message", [
    ([], "files must not be an empty list (leave it out for CloudStack's defaults)"),
    (["/etc/hosts", ""], "files[1] must not be empty"),
    (["/etc/a,b"], "files[0] must be a path or a name without spaces, commas, quotes or shell characters, got "
                   "/etc/a,b"),
    (["/etc/hosts; rm -rf /"], "files[0] must be a path or a name without spaces, commas, quotes or shell "
                               "characters, got /etc/hosts; rm -rf /"),
    (["$(reboot)"], "files[0] must be a path or a name without spaces, commas, quotes or shell characters, got "
                    "$(reboot)"),
])
def test_bad_files(files, message):
    with pytest.raises(ValidationError) as info:
        rules.check_files(files)
    assert info.value.message == message


def test_manifest():
    text = "iptables.log\n/etc/hosts\n\n/var/log/secret.logFile Not Found!!\n/etc/x File Not Found!!\n"
    assert rules.parse_manifest(text) == [
        dict(path="iptables.log", entry="iptables.log", found=True),
        dict(path="/etc/hosts", entry="hosts", found=True),
        dict(path="/var/log/secret.log", entry=None, found=False),
        dict(path="/etc/x", entry=None, found=False),
    ]


def test_exit_code():
    assert rules.exit_code("0") == 0 and rules.exit_code(" 2\n") == 2 and rules.exit_code("x") is None
    assert rules.exit_code(None) is None


def test_local_name():
    assert rules.local_name("r-4-VM", "4d1c.zip") == "r-4-VM-4d1c.zip"
    assert rules.local_name("s-1-VM", "/root/diagnostics_files_20261130-153000.tar") == \
        "s-1-VM-diagnostics_files_20261130-153000.zip"
    assert rules.local_name("../x", "../../etc/passwd") == "_x-passwd.zip"


def test_defaults_split_like_cloudstack():
    assert rules.split_defaults("iptables, ipaddr,,/etc/hosts ") == ["iptables", "ipaddr", "/etc/hosts"]
