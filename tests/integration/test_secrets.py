"""Credentials never reach what Ansible shows, logs or registers, even with tracebacks on and at -vvv."""

import os
import tempfile

import pytest

SECRET = "S3cr3t-Do-Not-Show-0123456789abcdef"
KEY = "K3y-Do-Not-Show-0123456789abcdef"


def run_with_log(ansible, tmp, args, env):
    log = os.path.join(tmp, "ansible.log")
    env = dict(env, ANSIBLE_DISPLAY_TRACEBACK="always", ANSIBLE_LOG_PATH=log, ANSIBLE_VERBOSITY="3")
    result = ansible.module("host_info", args, env=env)
    with open(log) as handle:
        logged = handle.read()
    return result, logged


@pytest.mark.parametrize("case", ["malformed_ini", "unreachable_get"])
def test_no_credentials_in_output_log_or_result(ansible, lab_env, case):
    with tempfile.TemporaryDirectory() as tmp:
        env = {"CLOUDSTACK_ENDPOINT": "", "CLOUDSTACK_KEY": "", "CLOUDSTACK_SECRET": ""}
        args = {}
        if case == "malformed_ini":
            ini = os.path.join(tmp, "cloudstack.ini")
            with open(ini, "w") as handle:
                # The secret's line lacks its "=": configparser quotes the broken line in its error.
                handle.write("[cloudstack]\nendpoint = %s\nkey = %s\nsecret %s\n"
                             % (lab_env["CLOUDSTACK_ENDPOINT"], KEY, SECRET))
            env["CLOUDSTACK_CONFIG"] = ini
        else:
            args = {"api_url": "http://127.0.0.1:9/client/api", "api_key": KEY, "api_secret": SECRET,
                    "api_timeout": 2}
        result, logged = run_with_log(ansible, tmp, args, env)
        assert result["failed"] is True and "\n" not in result["msg"]
        shown = result["_stdout"] + logged + repr(result)
        for secret in (SECRET, KEY):
            assert secret not in shown, "%s leaked in the %s case" % (secret[:6], case)
        assert "signature=" not in shown.lower().replace("signature=<redacted>", "")
