# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport against a private simulator on 127.0.0.1: real HTTP, real signature checks, injected faults.

Two things the simulator cannot do (answer with a redirect, drop the connection without answering) come from a
small HTTP server of the test's own on 127.0.0.1. Nothing is mocked.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection
from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ApiError, TransportError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.transport import Transport, network_reason

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402  (tests/lab is on the path: ../conftest.py)
from cssim.control import LabControl  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402

MAY = "the change may have been made"


@pytest.fixture(scope="module")
def sim():
    simulator = PrivateSimulator()
    yield simulator
    simulator.close()


@pytest.fixture
def ctl(sim):
    control = LabControl(sim.control_url)
    control.clear_faults()
    yield control
    control.clear_faults()


def transport(endpoint, method="get", secret=DEFAULT_SECRET_KEY, timeout=10, verify=True):
    return Transport(Connection(endpoint, DEFAULT_API_KEY, secret, timeout, method, verify, "cloudstack"))


def assert_no_secrets(error):
    text = str(error) + repr(error.to_result())
    for secret in (DEFAULT_API_KEY, DEFAULT_SECRET_KEY, "signature=", "apikey=", "command="):
        assert secret not in text, (secret, text)
    assert not re.search(r"\?\w+=", text), text  # no query string
    assert error.__cause__ is None and error.__context__ is None


def last_request(ctl, mark):
    entries = ctl.requests(mark)
    assert len(entries) == 1, entries
    return entries[0]


@pytest.mark.parametrize("method", ["get", "post"])
def test_list_call(sim, ctl, method):
    mark = ctl.mark()
    answer = transport(sim.endpoint, method).send("listZones", {"available": True, "page": 1, "pagesize": 500}, 5)
    assert answer["count"] == 2
    assert len(answer["zone"]) == 2
    entry = last_request(ctl, mark)
    assert entry["method"] == method.upper() and entry["status"] == 200
    assert entry["params"]["available"] == "true" and entry["params"]["pagesize"] == "500"


@pytest.mark.parametrize("method", ["get", "post"])
def test_tilde_and_other_characters_pass_the_signature_check(sim, ctl, method):
    value = "http://mirror/~ops/systemvm.qcow2?a=b&c=d e+f*"
    mark = ctl.mark()
    answer = transport(sim.endpoint, method).send(
        "updateConfiguration", {"name": "router.template.kvm", "value": value}, 5)
    assert answer["configuration"]["value"] == value
    assert last_request(ctl, mark)["status"] == 200
    listed = transport(sim.endpoint, method).send("listConfigurations", {"name": "router.template.kvm"}, 5)
    assert listed["configuration"][0]["value"] == value


def test_register_template_with_a_tilde_url(sim, ctl):
    t = transport(sim.endpoint, "post")
    ostypeid = t.send("listTemplates", {"templatefilter": "all"}, 5)["template"][0]["ostypeid"]
    zones = [z["id"] for z in t.send("listZones", {}, 5)["zone"]]
    answer = t.send("registerTemplate", {
        "name": "systemvm-kvm-9.9.9", "displaytext": "tilde", "url": "http://mirror/~ops/systemvm.qcow2",
        "hypervisor": "KVM", "format": "QCOW2", "ostypeid": ostypeid, "zoneids": zones, "isrouting": True}, 5)
    assert {row["zoneid"] for row in answer["template"]} == set(zones)
    assert answer["template"][0]["url"] == "http://mirror/~ops/systemvm.qcow2"


def test_error_envelope_becomes_api_error(sim, ctl):
    with pytest.raises(ApiError) as info:
        transport(sim.endpoint).send("listZones", {"id": "not-a-uuid"}, 5)
    assert info.value.errorcode == 431 and info.value.cserrorcode == 9999
    assert "listZones failed" in str(info.value)
    ctl.add_fault("api_error", command="listHosts", errorcode=534, cserrorcode=4520, errortext="busy")
    with pytest.raises(ApiError) as info:
        transport(sim.endpoint, "post").send("listHosts", {}, 5)
    assert (info.value.errorcode, info.value.cserrorcode, info.value.errortext) == (534, 4520, "busy")
    assert_no_secrets(info.value)


def test_unknown_command_answers_in_errorresponse(sim):
    with pytest.raises(ApiError) as info:
        transport(sim.endpoint).send("listNothing", {}, 5)
    assert info.value.errorcode == 432


def test_wrong_secret_is_refused(sim):
    with pytest.raises(ApiError) as info:
        transport(sim.endpoint, secret="not the secret").send("listZones", {}, 5)
    assert info.value.errorcode == 401
    assert_no_secrets(info.value)


@pytest.mark.parametrize("method", ["get", "post"])
def test_timeout_of_a_read(sim, ctl, method):
    ctl.add_fault("latency", command="listZones", seconds=1.0)
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        transport(sim.endpoint, method).send("listZones", {}, 0.2)
    assert time.monotonic() - started < 0.9
    error = info.value
    assert "no answer from %s within 0.2s" % sim.endpoint in str(error)
    assert MAY not in str(error) and error.status is None and error.transient and error.delivered
    assert_no_secrets(error)


def test_small_timeout_is_passed_through(sim, ctl):
    ctl.add_fault("latency", command="listPods", seconds=0.5)
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        transport(sim.endpoint, timeout=30).send("listPods", {}, 0.05)
    assert time.monotonic() - started < 0.4
    assert "within 0.05s" in str(info.value)


def test_timeout_of_a_write_may_have_applied_it(sim, ctl):
    ctl.add_fault("latency", command="updateConfiguration", seconds=1.0)
    with pytest.raises(TransportError) as info:
        transport(sim.endpoint).send("updateConfiguration", {"name": "router.template.kvm", "value": "x"}, 0.2)
    assert MAY in str(info.value) and "cannot reach" not in str(info.value)
    assert_no_secrets(info.value)


def test_http_failure_of_a_write_may_have_applied_it(sim, ctl):
    ctl.add_fault("http_error", command="updateConfiguration", status=503)
    with pytest.raises(TransportError) as info:
        transport(sim.endpoint, "post").send("updateConfiguration", {"name": "router.template.kvm", "value": "y"}, 5)
    error = info.value
    assert error.status == 503 and error.transient and error.delivered
    assert "HTTP 503" in str(error) and MAY in str(error)
    assert_no_secrets(error)


def test_http_failure_of_a_read(sim, ctl):
    ctl.add_fault("http_error", command="listZones", status=404)
    with pytest.raises(TransportError) as info:
        transport(sim.endpoint).send("listZones", {}, 5)
    error = info.value
    assert error.status == 404 and not error.transient
    assert "HTTP 404" in str(error) and "without a CloudStack error body" in str(error) and MAY not in str(error)
    assert_no_secrets(error)


def test_json_that_is_not_cloudstacks_answer(sim):
    endpoint = sim.endpoint.replace("/client/api", "/lab/health")
    with pytest.raises(TransportError) as info:
        transport(endpoint).send("listZones", {}, 5)
    assert info.value.status == 200 and not info.value.transient
    assert "not CloudStack's JSON" in str(info.value)
    assert_no_secrets(info.value)


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("command", ["listZones", "updateConfiguration"])
def test_connection_refused_was_not_sent(command):
    endpoint = "http://127.0.0.1:%d/client/api" % _closed_port()
    with pytest.raises(TransportError) as info:
        transport(endpoint).send(command, {"name": "x"}, 5)
    error = info.value
    assert "cannot reach %s" % endpoint in str(error) and MAY not in str(error)
    assert not error.delivered and error.transient
    assert_no_secrets(error)


def test_tls_to_a_plain_http_port_is_a_transport_error(sim):
    endpoint = sim.endpoint.replace("http://", "https://")
    with pytest.raises(TransportError) as info:
        transport(endpoint).send("listZones", {}, 5)
    assert "cannot reach %s: TLS" % endpoint in str(info.value) and not info.value.delivered
    assert_no_secrets(info.value)


def test_no_time_left_sends_nothing(sim, ctl):
    mark = ctl.mark()
    with pytest.raises(TransportError) as info:
        transport(sim.endpoint).send("listZones", {}, 0)
    assert "not sent" in str(info.value) and not info.value.delivered
    assert ctl.requests(mark) == []


class _Misbehaving(BaseHTTPRequestHandler):
    """/redirect/...: 302 to another place; /drop/...: reads the request, closes without answering."""

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append(self.command)
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", "https://elsewhere.invalid/client/api?kept=secret")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = _handle


@pytest.fixture
def misbehaving():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("method", ["get", "post"])
def test_redirects_are_not_followed(misbehaving, method):
    endpoint = "http://127.0.0.1:%d/redirect/client/api" % misbehaving.server_address[1]
    with pytest.raises(TransportError) as info:
        transport(endpoint, method).send("listZones", {}, 5)
    assert misbehaving.seen == [method.upper()]
    assert info.value.status == 302
    assert "redirects (HTTP 302) to https://elsewhere.invalid/client/api;" in str(info.value)
    assert_no_secrets(info.value)


def test_connection_dropped_after_a_write_was_sent(misbehaving):
    endpoint = "http://127.0.0.1:%d/drop/client/api" % misbehaving.server_address[1]
    with pytest.raises(TransportError) as info:
        transport(endpoint, "post").send("rebootRouter", {"id": "r"}, 5)
    assert misbehaving.seen == ["POST"]
    assert MAY in str(info.value) and info.value.delivered and info.value.transient
    assert_no_secrets(info.value)


def test_importing_the_transport_pulls_in_no_third_party_http_library():
    code = ("import sys; sys.path.insert(0, %r); "
            "import ansible_collections.csops.cloudstack.plugins.module_utils._api.transport; "
            "print(sorted(m for m in ('requests', 'cs', 'urllib3') if m in sys.modules))"
            % os.path.join(REPO, ".build", "collections"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


class _TlsAnswer(BaseHTTPRequestHandler):
    """A fixed CloudStack answer over TLS: the simulator speaks plain HTTP only, and TLS is what is tested here."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b'{"listzonesresponse": {"count": 0}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csops test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TlsAnswer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_path), str(key_path))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "https://127.0.0.1:%d/client/api" % server.server_address[1], str(cert_path)
    server.shutdown()
    server.server_close()


def test_tls_certificate_is_verified_by_default(tls_server):
    endpoint, _ca = tls_server
    with pytest.raises(TransportError) as info:
        transport(endpoint, verify=True).send("listZones", {}, 5)
    assert "cannot reach %s: TLS certificate verification failed" % endpoint in str(info.value)
    assert not info.value.delivered
    assert_no_secrets(info.value)


def test_tls_with_a_ca_file_or_without_verification(tls_server):
    endpoint, ca_path = tls_server
    assert transport(endpoint, verify=ca_path).send("listZones", {}, 5) == {"count": 0}
    assert transport(endpoint, verify=False).send("listZones", {}, 5) == {"count": 0}


@pytest.mark.parametrize("error,expected", [
    ("no host given", "no host given"),
    (socket.timeout("timed out"), "timed out"),
    (TimeoutError(), "timed out"),
    (ConnectionRefusedError(111, "Connection refused"), "Connection refused"),
    (socket.gaierror(-2, "Name or service not known"), "name lookup failed: Name or service not known"),
    (ValueError("http://cloud/client/api?apikey=K"), "ValueError"),
])
def test_network_reason_is_short_and_quotes_no_url(error, expected):
    assert network_reason(error) == expected
