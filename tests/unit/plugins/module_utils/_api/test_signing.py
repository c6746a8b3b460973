# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request signing: Java URLEncoder rules, the canonical string, known HMAC vectors, parameter flattening,
and the simulator's verifier (which checks signatures as ApiServer.verifyRequest does) accepting them."""

import ast
import base64
import hashlib
import hmac
import os
import sys
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api import signing

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

from cssim import signing as server_signing  # noqa: E402  (path set just above)

SECRET = "s3cr3t-K3y/with+chars=="
KEY = "Api-Key_123"


def java_urlencode(text):
    """URLEncoder.encode(text, "UTF-8").replace("+", "%20"), written out from the JDK's rules: A-Z a-z 0-9 and
    ".-*_" stay, a space becomes "+", every other character becomes %XX per byte of its UTF-8 form."""
    out = []
    for ch in text:
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z") or ("0" <= ch <= "9") or ch in ".-*_":
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.extend("%%%02X" % byte for byte in ch.encode("utf-8"))
    return "".join(out).replace("+", "%20")


@pytest.mark.parametrize("text, expected", [
    ("abcXYZ019", "abcXYZ019"),
    ("~", "%7E"),
    ("a b", "a%20b"),
    ("a+b", "a%2Bb"),
    ("*.-_", "*.-_"),
    ("é", "%C3%A9"),
    ("€", "%E2%82%AC"),
    ("k=v&x=y", "k%3Dv%26x%3Dy"),
    ("", ""),
    ("/~ops/a.qcow2", "%2F%7Eops%2Fa.qcow2"),
    ("%", "%25"),
])
def test_encode_follows_java_urlencoder(text, expected):
    assert signing.encode(text) == expected
    assert java_urlencode(text) == expected


def test_encode_matches_the_rules_for_every_ascii_and_some_unicode():
    sample = "".join(chr(c) for c in range(0x20, 0x7f)) + "äöü ß 日本 \U0001F600"
    for ch in sample:
        assert signing.encode(ch) == java_urlencode(ch), ch


def test_known_vector():
    pairs = [("command", "listZones"), ("name", "a b~c"), ("apikey", KEY), ("response", "json"),
             ("signatureversion", "3"), ("expires", "1970-01-01T00:10:00+0000")]
    expected_canonical = ("apikey=api-key_123&command=listzones&expires=1970-01-01t00%3a10%3a00%2b0000"
                          "&name=a%20b%7ec&response=json&signatureversion=3")
    assert signing.canonical(pairs) == expected_canonical
    digest = hmac.new(SECRET.encode(), expected_canonical.encode(), hashlib.sha1).digest()
    assert signing.signature(pairs, SECRET) == base64.b64encode(digest).decode()


def test_signature_ignores_a_signature_parameter_and_sorts_by_name():
    pairs = [("zoneid", "1"), ("command", "listPods"), ("apikey", KEY)]
    shuffled = [("apikey", KEY), ("Signature", "old"), ("zoneid", "1"), ("command", "listPods")]
    assert signing.signature(pairs, SECRET) == signing.signature(shuffled, SECRET)
    assert signing.canonical(pairs) == "apikey=api-key_123&command=listpods&zoneid=1"


def test_signed_pairs_carry_version_3_and_expiry_600_seconds_ahead():
    now = datetime(2026, 11, 30, 11, 50, 0, tzinfo=timezone.utc).timestamp()
    pairs = signing.signed_pairs("listZones", {"name": "x"}, KEY, SECRET, now=now)
    as_dict = dict(pairs)
    assert as_dict["expires"] == "2026-11-30T12:00:00+0000"
    assert as_dict["signatureversion"] == "3"
    assert as_dict["apikey"] == KEY and as_dict["response"] == "json" and as_dict["command"] == "listZones"
    assert pairs[-1][0] == "signature"
    assert as_dict["signature"] == signing.signature(pairs[:-1], SECRET)


def test_default_expiry_is_from_now():
    before = time.time()
    expires = dict(signing.signed_pairs("listZones", {}, KEY, SECRET))["expires"]
    when = datetime.strptime(expires, "%Y-%m-%dT%H:%M:%S%z").timestamp()
    assert before + 599 <= when <= time.time() + 601


def _server_accepts(pairs, secret=SECRET):
    ok, api_key = server_signing.verify(pairs, {KEY: secret}.get)
    return ok and api_key == KEY


@pytest.mark.parametrize("params", [
    {"url": "http://mirror/~ops/systemvm.qcow2", "name": "systemvm-kvm-4.20.1"},
    {"value": "a b+c*d~e&f=g%h", "name": "x"},
    {"value": "Überprüfung 日本"},
    {"value": ""},
    {"zoneids": ["z-1", "z-2"], "isrouting": True, "page": 1, "pagesize": 500},
    {"details": {"cpuNumber": 2, "memory": "1 GiB"}},
])
def test_the_simulator_verifier_accepts_what_we_sign(params):
    pairs = signing.signed_pairs("registerTemplate", params, KEY, SECRET)
    # On the wire and back, as the server sees it.
    wire = parse_qsl(signing.encode_query(pairs), keep_blank_values=True)
    assert wire == pairs
    assert _server_accepts(wire)


def test_the_verifier_rejects_a_changed_value_or_a_wrong_secret():
    pairs = signing.signed_pairs("updateConfiguration", {"name": "x", "value": "~a"}, KEY, SECRET)
    tampered = [(k, "~b" if k == "value" else v) for k, v in pairs]
    assert not _server_accepts(tampered)
    assert not _server_accepts(pairs, secret="another secret")


def test_signing_with_an_unencoded_tilde_is_rejected():
    """What a signer that leaves "~" alone (Python's quote) produces does not verify: the reason to sign here."""
    pairs = [p for p in signing.signed_pairs("updateConfiguration", {"name": "x", "value": "~ops"}, KEY, SECRET)
             if p[0] != "signature"]
    wrong_canonical = "&".join("%s=%s" % (k, quote(v, safe="*-._~")) for k, v in sorted(pairs)).lower()
    wrong = base64.b64encode(hmac.new(SECRET.encode(), wrong_canonical.encode(), hashlib.sha1).digest()).decode()
    assert not _server_accepts(pairs + [("signature", wrong)])
    assert _server_accepts(pairs + [("signature", signing.signature(pairs, SECRET))])


def test_flatten():
    pairs = signing.flatten({
        "name": "n", "skip": None, "forced": True, "listall": False, "page": 2, "ratio": 1.5,
        "zoneids": ["a", "b", "c"], "ids": ("x",), "empty": [], "nodict": {},
        "details": {"k1": "v1", "k2": 3},
        "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": None}],
        "value": "",
    })
    assert pairs == [
        ("name", "n"), ("forced", "true"), ("listall", "false"), ("page", "2"), ("ratio", "1.5"),
        ("zoneids", "a,b,c"), ("ids", "x"),
        ("details[0].k1", "v1"), ("details[0].k2", "3"),
        ("tags[0].key", "a"), ("tags[0].value", "1"), ("tags[1].key", "b"),
        ("value", ""),
    ]


@pytest.mark.parametrize("value", [object(), b"bytes", [["nested"]], {"k": ["v"]}])
def test_flatten_refuses_what_cloudstack_cannot_take(value):
    with pytest.raises(TypeError) as info:
        signing.flatten({"param": value})
    assert "parameter param" in str(info.value)


def test_a_parameter_given_twice_is_refused():
    with pytest.raises(ValueError):
        signing.signed_pairs("listZones", {"apiKey": "other"}, KEY, SECRET)


def test_encode_query_round_trips_names_and_values():
    pairs = [("details[0].key", "a b"), ("x", "~&=+%é")]
    query = signing.encode_query(pairs)
    assert query == "details%5B0%5D.key=a%20b&x=%7E%26%3D%2B%25%C3%A9"
    assert parse_qsl(query) == pairs


def test_module_code_parses_as_python_3_8():
    for name in ("signing.py", "transport.py"):
        path = os.path.join(REPO, "plugins", "module_utils", "_api", name)
        with open(path) as handle:
            ast.parse(handle.read(), filename=path, feature_version=(3, 8))
