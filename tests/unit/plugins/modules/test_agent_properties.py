"""agent_properties in-process against a temporary agent.properties."""

import json
import os

import pytest

from ansible_collections.csops.cloudstack.plugins.modules import agent_properties

ORIGINAL = "#Storage\nguid=1e2f\n\nhost=10.0.0.1\nkeystore.passphrase=TopSecret42\nport=8250\n"


@pytest.fixture
def base(tmp_path, me):
    path = tmp_path / "agent.properties"
    path.write_text(ORIGINAL)
    os.chmod(path, 0o640)
    return dict(path=str(path), **me)


def test_check_apply_idempotent_and_diff_masks_secrets(run, base):
    args = dict(base, properties={"host": "10.0.0.9", "zone": 1}, absent=["guid"])
    checked = run(agent_properties, args, check=True, diff=True)
    assert checked["changed"] and checked["changed_keys"] == ["guid", "host", "zone"]
    assert open(base["path"]).read() == ORIGINAL
    assert "TopSecret42" not in json.dumps(checked)
    assert "keystore.passphrase=********" in checked["diff"]["before"]
    assert "host=10.0.0.9" in checked["diff"]["after"] and "guid" not in checked["diff"]["after"]
    applied = run(agent_properties, args, diff=True)
    assert applied["changed"]
    assert open(base["path"]).read() == "#Storage\n\nhost=10.0.0.9\nkeystore.passphrase=TopSecret42\nport=8250\nzone=1\n"
    assert os.stat(base["path"]).st_mode & 0o7777 == 0o640
    again = run(agent_properties, args, diff=True)
    assert not again["changed"] and again["changed_keys"] == []


def test_secret_properties_never_shown(run, base, capsys):
    args = dict(base, secret_properties={"keystore.passphrase": "NewSecret99", "db.password": "Pw-77"})
    result = run(agent_properties, args, diff=True)
    assert result["changed"] and result["changed_keys"] == ["keystore.passphrase", "db.password"]
    dumped = json.dumps(result) + capsys.readouterr().err
    for secret in ("NewSecret99", "Pw-77", "TopSecret42"):
        assert secret not in dumped
    assert "db.password=********" in result["diff"]["after"]
    text = open(base["path"]).read()
    assert "keystore.passphrase=NewSecret99\n" in text and text.endswith("db.password=Pw-77\n")


def test_new_file_gets_0600_and_mode_option(run, base, tmp_path):
    path = str(tmp_path / "new.properties")
    assert not run(agent_properties, dict(base, path=path, absent=["x"]))["changed"]
    assert not os.path.exists(path)
    assert run(agent_properties, dict(base, path=path, properties={"a": "b"}))["changed"]
    assert os.stat(path).st_mode & 0o7777 == 0o600
    assert run(agent_properties, dict(base, path=path, properties={"a": "b"}, mode="0644"))["changed"]
    assert os.stat(path).st_mode & 0o7777 == 0o644
    assert not run(agent_properties, dict(base, path=path, properties={"a": "b"}, mode="0644"))["changed"]


@pytest.mark.parametrize("change, parts", [
    ({"properties": {"a b": "1"}}, ["properties: not a property name", "'a b'"]),
    ({"properties": {"a": "x\ny"}}, ["properties: value of a must not contain line breaks", "'x\\ny'"]),
    ({"properties": {"keystore.passphrase": "p"}}, ["properties: keystore.passphrase is a secret"]),
    ({"secret_properties": {"k": "x\nSecretBit"}}, ["secret_properties: value of k", "********"]),
    ({"absent": ["host"], "properties": {"host": "1"}}, ["absent: host is also given a value"]),
    ({"mode": "rw"}, ["mode: must be an octal string", "'rw'"]),
    ({"path": "relative"}, ["path: must be an absolute path, got 'relative'"]),
    ({"owner": "no-such-user-xyz"}, ["owner: no such user 'no-such-user-xyz'"]),
])
def test_bad_input_changes_nothing(run, base, change, parts, one_line):
    before = open(base["path"]).read()
    result = run(agent_properties, dict(base, **change))
    message = one_line(result, *parts)
    assert "SecretBit" not in message and "TopSecret42" not in json.dumps(result)
    assert open(base["path"]).read() == before


def test_a_directory_in_the_way_fails_in_one_line(run, base, tmp_path, one_line):
    (tmp_path / "dir.properties").mkdir()
    one_line(run(agent_properties, dict(base, path=str(tmp_path / "dir.properties"), properties={"a": 1})),
             "is a directory")
