# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX custom credential type (extensions/awx/credential_type.yml): a definition AWX accepts, whose injected
environment is exactly what the collection reads. The injection follows AWX's rules (tests/compat/awx.py: AWX
cannot run here); what the collection makes of the environment is the collection's own code, not a copy."""

import os
import re

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.csops.cloudstack.plugins.module_utils._api import config
from ansible_collections.csops.cloudstack.plugins.module_utils._api.args import CONNECTION_SPEC
from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ConfigurationError
from awx import inject, load_credential_type
from conftest import REPO

MINIMAL = {"api_url": "https://cloud.example.com/client/api", "api_key": "K3y-abc", "api_secret": "S3cr3t-xyz"}
PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def credential_type():
    return load_credential_type()


def collection_environment_names():
    """Every CLOUDSTACK_* name the API modules read: the argument spec's fallbacks and the connection resolver."""
    names = set()
    for part in ("config.py", "args.py"):
        with open(os.path.join(REPO, "plugins", "module_utils", "_api", part)) as handle:
            names.update(re.findall(r"\bCLOUDSTACK_[A-Z_]+\b", handle.read()))
    return names


def connection(credential_type, inputs, tmp_path, monkeypatch):
    """The connection a module builds in a job with this credential: AWX's environment through the module's
    argument spec (environment fallbacks, types, choices) and the collection's resolver."""
    env = inject(credential_type, inputs, str(tmp_path))
    for name in list(os.environ):
        if name.startswith("CLOUDSTACK_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path))   # no ~/.cloudstack.ini of the machine
    monkeypatch.chdir(tmp_path)
    result = ArgumentSpecValidator(CONNECTION_SPEC).validate({})
    assert result.error_messages == []
    return config.resolve(result.validated_parameters, environ=dict(os.environ))


def test_definition_is_one_awx_accepts(credential_type):
    assert set(credential_type) == {"name", "description", "kind", "inputs", "injectors"}
    assert credential_type["kind"] in ("cloud", "net")   # the only kinds a custom type may have
    fields = credential_type["inputs"]["fields"]
    ids = [field["id"] for field in fields]
    assert len(ids) == len(set(ids))
    for field in fields:
        assert set(field) <= {"id", "label", "type", "secret", "help_text", "multiline", "choices", "format"}, field
        assert field["type"] in ("string", "boolean") and field["label"], field
    assert set(credential_type["inputs"]["required"]) == {"api_url", "api_key", "api_secret"}
    secrets = {field["id"] for field in fields if field.get("secret")}
    assert {"api_key", "api_secret"} <= secrets
    assert set(credential_type["injectors"]) <= {"env", "file", "extra_vars"}


def test_it_injects_only_variables_the_collection_reads(credential_type):
    injected = set(credential_type["injectors"]["env"])
    assert injected <= collection_environment_names(), injected - collection_environment_names()
    assert {"CLOUDSTACK_ENDPOINT", "CLOUDSTACK_KEY", "CLOUDSTACK_SECRET", "CLOUDSTACK_TIMEOUT",
            "CLOUDSTACK_VERIFY"} <= injected


def test_minimal_credential_verifies_tls_with_the_defaults(credential_type, tmp_path, monkeypatch):
    conn = connection(credential_type, MINIMAL, tmp_path, monkeypatch)
    assert (conn.endpoint, conn.key, conn.secret) == (MINIMAL["api_url"], MINIMAL["api_key"], MINIMAL["api_secret"])
    assert conn.verify is True
    assert (conn.timeout, conn.method) == (config.DEFAULT_TIMEOUT, config.DEFAULT_METHOD)


def test_every_option_reaches_the_connection(credential_type, tmp_path, monkeypatch):
    inputs = dict(MINIMAL, api_timeout="45", api_http_method="post", ca_bundle=PEM)
    conn = connection(credential_type, inputs, tmp_path, monkeypatch)
    assert (conn.timeout, conn.method) == (45, "post")
    assert isinstance(conn.verify, str) and conn.verify.startswith(str(tmp_path))
    with open(conn.verify) as handle:
        assert handle.read() == PEM


def test_skip_tls_verify_is_the_only_way_to_turn_verification_off(credential_type, tmp_path, monkeypatch):
    assert connection(credential_type, dict(MINIMAL, skip_tls_verify=True), tmp_path, monkeypatch).verify is False
    assert connection(credential_type, dict(MINIMAL, skip_tls_verify=False), tmp_path, monkeypatch).verify is True
    assert connection(credential_type, dict(MINIMAL, skip_tls_verify=False, ca_bundle=PEM), tmp_path,
                      monkeypatch).verify not in (False, True)


def test_a_bad_timeout_is_refused_in_one_line(credential_type, tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError, match=r"^api_timeout must be between 1 and 3600 seconds, got 0$"):
        connection(credential_type, dict(MINIMAL, api_timeout="0"), tmp_path, monkeypatch)


def test_awx_refuses_a_credential_without_the_secret(credential_type, tmp_path):
    with pytest.raises(ValueError, match="api_secret"):
        inject(credential_type, dict(MINIMAL, api_secret=""), str(tmp_path))
