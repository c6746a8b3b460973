"""The SSH variables of system VMs: the ProxyCommand must survive both parsers it goes through (Ansible splits
``ansible_ssh_common_args`` with shlex, ssh hands the ProxyCommand to ``/bin/sh -c`` after expanding %-tokens).
The shell here is the real /bin/sh."""

import re
import shlex
import subprocess

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._inventory import ssh


def expand(command):
    """ssh's %-token expansion of a ProxyCommand: %h, %p and %% here; ssh refuses any other token."""
    def token(match):
        if match.group(1) not in TOKENS:
            raise ValueError("ssh: unknown key %" + match.group(1))
        return TOKENS[match.group(1)]
    return re.sub(r"%(.)", token, command)


TOKENS = {"h": "169.254.1.2", "p": "3922", "%": "%"}


def sh_argv(command):
    """The argv /bin/sh makes of ``command``, after ssh's %-token expansion."""
    expanded = expand(command)
    out = subprocess.run(["/bin/sh", "-c", "set -- %s; printf '%%s\\n' \"$@\"" % expanded],
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def test_a_vm_is_3922_root_and_the_hop_a_proxy_with_the_hosts_own_settings():
    assert ssh.vm_shared_vars("/keys/id_rsa.cloud") == {"ansible_port": 3922, "ansible_user": "root",
                                                        "ansible_ssh_private_key_file": "/keys/id_rsa.cloud"}
    hop = ssh.Endpoint("10.0.0.5", 2222, "admin", "/keys/my host%key", "-o UserKnownHostsFile='/k h/known'")
    common = shlex.split(ssh.hop_args(hop, "-o ConnectTimeout=5"))  # what Ansible's ssh connection does
    assert common[0] == "-o" and common[-2:] == ["-o", "ConnectTimeout=5"]
    assert common[1].startswith("ProxyCommand=")
    argv = sh_argv(common[1][len("ProxyCommand="):])
    assert argv == ["ssh", "-W", "169.254.1.2:3922", "-p", "2222", "-l", "admin", "-i", "/keys/my host%key",
                    "-o", "UserKnownHostsFile=/k h/known", "10.0.0.5"]


def test_an_endpoint_leaves_out_what_is_not_set():
    assert ssh.Endpoint("10.0.0.5").address_vars() == {"ansible_host": "10.0.0.5"}
    assert ssh.Endpoint("10.0.0.5").shared_vars() == {}
    assert ssh.Endpoint(None, 22, "root", "", None).shared_vars() == {"ansible_port": 22, "ansible_user": "root"}
    assert ssh.Endpoint(None).address_vars() == {} and ssh.vm_shared_vars() == {"ansible_port": 3922,
                                                                                "ansible_user": "root"}
    assert ssh.Endpoint("10.0.0.5").proxy_command() == "ssh -W %h:%p 10.0.0.5"
    assert ssh.hop_args(ssh.Endpoint("10.0.0.5")) == "-o 'ProxyCommand=ssh -W %h:%p 10.0.0.5'"


def test_vmware_and_hyperv_vms_are_reached_on_their_private_address_through_a_management_server():
    assert ssh.systemvm_address({"hypervisor": "VMware", "privateip": "10.1.1.1", "linklocalip": None}) == \
        ("10.1.1.1", "management")
    assert ssh.systemvm_address({"hypervisor": "Hyperv", "privateip": "10.1.1.1"}) == ("10.1.1.1", "management")
    assert ssh.systemvm_address({"hypervisor": "KVM", "privateip": "10.1.1.1", "linklocalip": "169.254.3.3"}) == \
        ("169.254.3.3", "host")


def test_the_expansion_used_above_refuses_an_unescaped_percent():
    with pytest.raises(ValueError):
        expand("ssh -i /keys/my%key host")
