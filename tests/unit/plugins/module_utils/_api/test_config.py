"""Where connection settings come from: options, environment, cloudstack.ini (real files in a temp dir)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import resolve
from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ConfigurationError

FULL_ENV = {"CLOUDSTACK_ENDPOINT": "https://env.example/client/api", "CLOUDSTACK_KEY": "ek",
            "CLOUDSTACK_SECRET": "es"}


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path)


def write_ini(path, text):
    path.write_text(text)
    return str(path)


def test_options_win_over_environment():
    conn = resolve({"api_url": "http://opt/client/api", "api_key": "k", "api_secret": "s"}, dict(FULL_ENV))
    assert (conn.endpoint, conn.key, conn.secret) == ("http://opt/client/api", "k", "s")
    assert conn.timeout == 10 and conn.method == "get" and conn.verify is True


def test_environment_is_used():
    conn = resolve({}, dict(FULL_ENV, CLOUDSTACK_TIMEOUT="30", CLOUDSTACK_METHOD="POST"))
    assert conn.endpoint == FULL_ENV["CLOUDSTACK_ENDPOINT"] and conn.timeout == 30 and conn.method == "post"


def test_ini_region_from_environment(tmp_path):
    ini = write_ini(tmp_path / "cs.ini", "[cloudstack]\nendpoint = http://a/client/api\nkey = ka\nsecret = sa\n"
                                         "[lab]\nendpoint = http://lab/client/api\nkey = kl\nsecret = sl\n"
                                         "timeout = 25\nmethod = post\n")
    conn = resolve({}, {"CLOUDSTACK_CONFIG": ini, "CLOUDSTACK_REGION": "lab"})
    assert (conn.endpoint, conn.key, conn.secret, conn.timeout, conn.method) == (
        "http://lab/client/api", "kl", "sl", 25, "post")
    assert resolve({"api_region": "cloudstack"}, {"CLOUDSTACK_CONFIG": ini}).key == "ka"


def test_ini_in_working_directory_is_read(tmp_path):
    write_ini(tmp_path / "cloudstack.ini", "[cloudstack]\nendpoint = http://cwd/client/api\nkey = k\nsecret = s\n")
    assert resolve({}, {}).endpoint == "http://cwd/client/api"


def test_environment_wins_over_ini_per_setting(tmp_path):
    ini = write_ini(tmp_path / "cs.ini", "[cloudstack]\nendpoint = http://ini/client/api\nkey = ki\nsecret = si\n")
    conn = resolve({}, {"CLOUDSTACK_CONFIG": ini, "CLOUDSTACK_KEY": "ke"})
    assert (conn.endpoint, conn.key, conn.secret) == ("http://ini/client/api", "ke", "si")


def test_missing_settings_are_named_without_values():
    with pytest.raises(ConfigurationError) as info:
        resolve({"api_url": "http://x/client/api", "api_secret": "very-secret"}, {})
    assert "api_key" in str(info.value) and "very-secret" not in str(info.value)


@pytest.mark.parametrize("env,expected", [
    ({"CLOUDSTACK_VERIFY": "false"}, False),
    ({"CLOUDSTACK_VERIFY": "False"}, False),
    ({"CLOUDSTACK_VERIFY": "true"}, True),
    ({"CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY": "true"}, False),
    ({"CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY": "false"}, True),
    ({}, True),
])
def test_tls_verification_means_what_the_name_says(env, expected):
    assert resolve({}, dict(FULL_ENV, **env)).verify is expected


def test_verify_path_is_a_ca_bundle(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem")
    assert resolve({}, dict(FULL_ENV, CLOUDSTACK_VERIFY=str(bundle))).verify == str(bundle)
    assert resolve({"api_ca_file": str(bundle)}, dict(FULL_ENV)).verify == str(bundle)


def test_option_false_beats_a_ca_file(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem")
    assert resolve({"validate_certs": False, "api_ca_file": str(bundle)}, dict(FULL_ENV)).verify is False
    assert resolve({"validate_certs": True}, dict(FULL_ENV, CLOUDSTACK_VERIFY="false")).verify is True


@pytest.mark.parametrize("env", [{"CLOUDSTACK_VERIFY": "nope"}, {"CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY": "maybe"},
                                 {"CLOUDSTACK_TIMEOUT": "soon"}, {"CLOUDSTACK_METHOD": "put"},
                                 {"CLOUDSTACK_ENDPOINT": "ftp://x"}, {"CLOUDSTACK_CONFIG": "/nonexistent.ini"}])
def test_bad_values_are_rejected_with_one_line(env):
    with pytest.raises(ConfigurationError) as info:
        resolve({}, dict(FULL_ENV, **env))
    assert "\n" not in str(info.value)


def test_repr_hides_credentials():
    conn = resolve({}, dict(FULL_ENV))
    assert "es" not in repr(conn).replace("verify", "") and "ek" not in repr(conn)


@pytest.mark.parametrize("option", ["api_url", "api_key", "api_secret", "api_region"])
def test_an_option_given_empty_is_refused_not_replaced_by_the_environment(option):
    params = {"api_url": "http://opt/client/api", "api_key": "k", "api_secret": "s", option: ""}
    with pytest.raises(ConfigurationError) as info:
        resolve(params, dict(FULL_ENV))
    assert str(info.value).startswith("%s must not be empty" % option)


@pytest.mark.parametrize("url", ["http://", "http:///client/api", "https://:8080/client/api"])
def test_an_endpoint_without_a_host_is_refused(url):
    with pytest.raises(ConfigurationError) as info:
        resolve({"api_url": url, "api_key": "k", "api_secret": "s"}, {})
    assert "api_url names no host" in str(info.value)


@pytest.mark.parametrize("timeout", [0, -1, 3601, 10 ** 12, "ten"])
def test_api_timeout_out_of_range_is_refused(timeout):
    with pytest.raises(ConfigurationError) as info:
        resolve({"api_url": "http://opt/client/api", "api_key": "k", "api_secret": "s", "api_timeout": timeout}, {})
    assert str(info.value).startswith("api_timeout must be")
