"""Signing, envelopes and errors, exercised with the real `cs` client and with raw HTTP."""

from datetime import datetime, timedelta, timezone

import pytest
import requests
from cs import CloudStackApiException

from cssim import signing

JSON = "application/json;charset=utf-8"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("v3", [True, False])
def test_cs_client_signs_get_and_post(sim, cs_client, method, v3):
    mark = sim.control.mark()
    zones = cs_client(method=method, v3=v3).listZones()
    assert zones["count"] == 2
    assert sorted(z["name"] for z in zones["zone"]) == ["lab-zone1", "lab-zone2"]
    [entry] = sim.control.requests(mark)
    assert entry["method"] == method.upper()
    assert entry["status"] == 200
    assert ("signatureVersion" in entry["params"]) is v3


@pytest.mark.parametrize("method", ["get", "post"])
def test_signature_uses_java_url_encoding(sim, cs_client, method):
    # space, star, plus, slash, ampersand, equals and non-ASCII all take part in the signature
    keyword = "a b*d+e/f&g=é"
    assert cs_client(method=method).listConfigurations(keyword=keyword) == {}
    assert sim.call("listConfigurations", method=method.upper(), keyword=keyword + "~").status_code == 200


def test_tilde_is_signed_the_java_way(sim, cs_client):
    # Java's URLEncoder escapes "~" but Python's quote() (used by cs) does not, so CloudStack, and the lab,
    # reject a cs-signed request whose values contain "~".
    with pytest.raises(CloudStackApiException) as info:
        cs_client().listConfigurations(keyword="a~b")
    assert info.value.error["errorcode"] == 401


def test_java_encoding_differs_from_python_quote_for_tilde():
    assert signing.java_urlencode("a~b c*") == "a%7Eb%20c*"


def _error(resp):
    [(name, body)] = resp.json().items()
    return name, body


def test_bad_signature_is_401_envelope(sim):
    resp = sim.call("listZones", secret="wrong-secret")
    assert resp.status_code == 401
    assert resp.headers["Content-Type"] == JSON
    # CloudStack leaves cserrorcode out of authentication failures
    assert resp.json() == {"listzonesresponse": {
        "uuidList": [], "errorcode": 401,
        "errortext": "unable to verify user credentials and/or request signature"}}


def test_unknown_api_key_and_missing_signature_are_401(sim):
    assert sim.call("listZones", key="not-a-key").status_code == 401
    resp = requests.get(sim.endpoint, params={"command": "listZones", "response": "json",
                                              "apikey": "csl-admin-apikey"}, timeout=5)
    assert resp.status_code == 401
    assert _error(resp)[1]["errorcode"] == 401


def _v3_pairs(expires):
    pairs = [("command", "listZones"), ("response", "json"), ("apikey", "csl-admin-apikey"),
             ("signatureversion", "3"), ("expires", expires)]
    return pairs + [("signature", signing.sign(pairs, "csl-admin-secret"))]


def test_expired_request_is_401(sim):
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    future = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    assert requests.get(sim.endpoint, params=_v3_pairs(past), timeout=5).status_code == 401
    assert requests.get(sim.endpoint, params=_v3_pairs(future), timeout=5).status_code == 200
    assert requests.get(sim.endpoint, params=_v3_pairs("not-a-date"), timeout=5).status_code == 401


def test_expires_is_only_checked_with_signature_version_3(sim):
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    pairs = [("command", "listZones"), ("response", "json"), ("apikey", "csl-admin-apikey"), ("expires", past)]
    pairs.append(("signature", signing.sign(pairs, "csl-admin-secret")))
    assert requests.get(sim.endpoint, params=pairs, timeout=5).status_code == 200


def test_missing_required_parameter_is_431(sim, cs_client):
    resp = sim.call("listTemplates")
    assert resp.status_code == 431
    assert resp.json() == {"listtemplatesresponse": {
        "uuidList": [], "errorcode": 431, "cserrorcode": 9999,
        "errortext": "Unable to execute API command listtemplates due to missing parameter templatefilter"}}
    with pytest.raises(CloudStackApiException) as info:
        cs_client().listTemplates()
    assert info.value.error["errorcode"] == 431


def test_unknown_command_is_432(sim):
    resp = sim.call("listUnicorns")
    assert resp.status_code == 432
    assert resp.json() == {"errorresponse": {"uuidList": [], "errorcode": 432, "cserrorcode": 9999,
                                             "errortext": "Unknown API command: listUnicorns"}}


def test_command_names_are_case_sensitive(sim):
    assert sim.call("listzones").status_code == 432


def test_unknown_parameter_is_431(sim):
    resp = sim.call("listZones", flavour="vanilla")
    assert resp.status_code == 431
    name, body = _error(resp)
    assert name == "listzonesresponse"
    assert "flavour" in body["errortext"]


def test_parameter_names_are_case_insensitive(sim):
    zones = sim.ok("listZones")["zone"]
    body = sim.ok("listPods", zoneId=zones[0]["id"])
    assert {p["zoneid"] for p in body["pod"]} == {zones[0]["id"]}


def test_parameter_newer_than_simulated_version_is_rejected(sim):
    ms = sim.control.state()["management_servers"]
    resp = sim.call("listHosts", managementserverid=next(iter(ms)))
    assert resp.status_code == 431
    assert "since 4.21.0" in _error(resp)[1]["errortext"]


@pytest.mark.parametrize("params, fragment", [
    ({"zoneid": "not-a-uuid"}, "Invalid parameter zoneid value=not-a-uuid"),
    ({"zoneid": "00000000-0000-4000-8000-000000000000"}, "entity does not exist"),
    ({"page": "one", "pagesize": "10"}, "invalid value one for parameter page"),
    ({"hahost": "maybe"}, "invalid value maybe for parameter hahost"),
])
def test_bad_values_are_431(sim, params, fragment):
    resp = sim.call("listHosts", **params)
    assert resp.status_code == 431
    assert fragment in _error(resp)[1]["errortext"]


def test_empty_list_is_an_empty_object(sim):
    resp = sim.call("listHosts", name="no-such-host")
    assert resp.status_code == 200
    assert resp.json() == {"listhostsresponse": {}}


def test_error_headers(sim):
    resp = sim.call("listTemplates")
    assert resp.headers["X-Description"].startswith("Unable to execute API command listtemplates")


def test_error_text_beyond_latin1_is_answered(sim):
    # Jetty writes header values byte per UTF-16 unit: Latin-1 stays, CR/LF and anything else become spaces
    text = "\u00c9chec: \u4e3b\u673a kvm1 \u4e0d\u53ef\u7528 \U0001f680\r\nfin"
    sim.control.add_fault("api_error", command="listZones", errorcode=530, errortext=text)
    resp = sim.call("listZones")
    assert resp.status_code == 530
    assert _error(resp)[1]["errortext"] == text
    # "\u00c9chec:" " " [2 CJK] " kvm1 " [3 CJK] " " [rocket: a surrogate pair] [CR LF] "fin"
    assert resp.headers["X-Description"] == "\u00c9chec:" + " " * 3 + " kvm1 " + " " * 4 + " " * 2 + " " * 2 + "fin"
    assert sim.control.requests(sim.control.mark() - 1)[0]["error"] == text


def test_only_json_responses(sim):
    pairs = [("command", "listZones"), ("apikey", "csl-admin-apikey")]
    pairs.append(("signature", signing.sign(pairs, "csl-admin-secret")))
    resp = requests.get(sim.endpoint, params=pairs, timeout=5)
    assert resp.status_code == 431
    assert "response=json" in _error(resp)[1]["errortext"]


def test_capabilities_report_topology_version(sim, cs_client):
    caps = cs_client().listCapabilities()["capability"]
    assert caps["cloudstackversion"] == "4.20.1.0"
