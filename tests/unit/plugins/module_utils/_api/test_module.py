"""CloudStackModule: input checks before anything is sent, and failures that keep what was done.

The module runs in-process with its arguments given the way Ansible gives them; nothing here reaches CloudStack
(the connection points at a closed port, and the tests only get as far as the checks or a backend stand-in).
"""

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.module import CloudStackModule

CONNECTION = {"api_url": "http://127.0.0.1:9/client/api", "api_key": "unit-test-key-0123456789",
              "api_secret": "unit-test-secret-0123456789"}


def run_module(capsys, args, backend, **kwargs):
    with patch_module_args(dict(CONNECTION, **args)):
        module = CloudStackModule(argument_spec=dict(name=dict(type="str"), ids=dict(type="list", elements="str")),
                                  selectors=("name", "ids"), **kwargs)
        with pytest.raises(SystemExit):
            module.run(backend)
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args,msg", [
    ({"name": ""}, "name must not be empty"),
    ({"name": "  "}, "name must not be empty"),
    ({"ids": []}, "ids must not be an empty list"),
    ({"ids": ["a", ""]}, "ids[1] must not be empty"),
])
def test_empty_selectors_fail_before_the_backend_runs(capsys, args, msg):
    called = []
    result = run_module(capsys, args, lambda m: called.append(1) or {})
    assert result["failed"] and result["msg"].startswith(msg)
    assert called == [] and result["changed"] is False


@pytest.mark.parametrize("timeout", [0, -5, 10 ** 9])
def test_wait_timeout_out_of_range_is_refused(capsys, timeout):
    result = run_module(capsys, {"wait_timeout": timeout}, lambda m: {}, with_wait=True)
    assert result["failed"] and result["msg"].startswith("wait_timeout must be between 1 and")


def test_failure_keeps_the_result_so_far_and_says_what_changed(capsys):
    def backend(module):
        raise CloudStackError("recreate system VM s-1-VM: replacement late", "listSystemVms",
                              result={"changed": True, "systemvms": [{"name": "s-1-VM", "jobid": "j1"}]})

    result = run_module(capsys, {"name": "s-1-VM"}, backend)
    assert result["failed"] and result["changed"] is True
    assert result["systemvms"] == [{"name": "s-1-VM", "jobid": "j1"}]
    assert result["msg"] == "recreate system VM s-1-VM: replacement late" and result["command"] == "listSystemVms"


def test_configuration_errors_are_one_line_failures(capsys):
    with patch_module_args(dict(CONNECTION, api_url="ftp://x", name="a")):
        module = CloudStackModule(argument_spec=dict(name=dict(type="str")))
        with pytest.raises(SystemExit):
            module.run(lambda m: m.client and {})
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and result["msg"].startswith("api_url must start with http:// or https://")


@pytest.mark.parametrize("args,msg", [
    ({"name": "s-1-VM\nv-2-VM"}, "name must be one line of text"),
    ({"name": "x" * 10000}, "name is longer than 255 characters"),
    ({"ids": [["nested"]]}, "ids[0] must be a single value"),
    ({"ids": ["not-a-uuid; DROP"]}, "ids[0] must be a UUID"),
])
def test_selectors_are_one_short_line_and_uuids_are_uuids(capsys, args, msg):
    with patch_module_args(dict(CONNECTION, **args)):
        module = CloudStackModule(argument_spec=dict(name=dict(type="str"), ids=dict(type="list", elements="raw")),
                                  selectors=("name", "ids"), uuids=("ids",))
        with pytest.raises(SystemExit):
            module.run(lambda m: {})
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and result["msg"].startswith(msg)
    assert len(result["msg"]) < 200 and "\n" not in result["msg"]
