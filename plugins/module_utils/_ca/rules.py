# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of CloudStack's CA for the ``host_certificate`` and ``ca_certificate_info`` backends: the checks a CSR,
names, addresses and a duration get before anything is sent, reading a host's secured state, and splitting a PEM
bundle. Pure functions on the standard library (the CSR is checked as DER, not with an X.509 library, so the
modules need nothing beyond ansible-core); nothing here talks to CloudStack."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re

from .._api.errors import ValidationError, shorten

# issueCertificate's csr parameter is declared with length 65535
MAX_CSR_LENGTH = 65535
# CloudStack takes any number of days; beyond a century is a typo
MAX_DURATION_DAYS = 36500
# keytool writes "NEW CERTIFICATE REQUEST", OpenSSL and most libraries "CERTIFICATE REQUEST"
_CSR_BLOCK = re.compile(
    r"-----BEGIN (NEW )?CERTIFICATE REQUEST-----\s*(?P<body>[A-Za-z0-9+/=\s]*?)\s*-----END (NEW )?CERTIFICATE "
    r"REQUEST-----")
_CERT_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)
_COMMON_NAME_OID = b"\x06\x03\x55\x04\x03"
# a DNS name as a certificate SAN: labels of letters, digits, hyphens (a leading "*." for a wildcard)
_DNS_NAME = re.compile(r"^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
                       r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$")


class _Der:
    """Reads DER tag-length-value items from ``data``; raises ValueError on anything malformed."""

    def __init__(self, data, start=0, end=None):
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end

    def read(self):
        """(tag, start of value, end of value) of the next item."""
        if self.pos + 2 > self.end:
            raise ValueError("truncated")
        tag = self.data[self.pos]
        length = self.data[self.pos + 1]
        pos = self.pos + 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or pos + count > self.end:
                raise ValueError("bad length")
            length = int.from_bytes(self.data[pos:pos + count], "big")
            pos += count
        if pos + length > self.end:
            raise ValueError("truncated")
        self.pos = pos + length
        return tag, pos, pos + length

    def done(self):
        return self.pos == self.end


def _common_name(der, start, end):
    """The first CN of the Name at der[start:end], or None."""
    at = der.find(_COMMON_NAME_OID, start, end)
    if at < 0:
        return None
    reader = _Der(der, at + len(_COMMON_NAME_OID), end)
    _tag, value_start, value_end = reader.read()
    return der[value_start:value_end].decode("utf-8", "replace")


def parse_csr(text, option="csr"):
    """Check that ``text`` is one PEM certificate signing request (PKCS#10) and return ``{"subject_cn": ...}``.

    Raises ValidationError naming ``option`` when it is empty, too long, not PEM, or not a PKCS#10 structure."""
    if text is None or str(text).strip() == "":
        raise ValidationError("%s must not be empty" % option)
    text = str(text)
    if len(text) > MAX_CSR_LENGTH:
        raise ValidationError("%s is %d characters long; CloudStack takes at most %d"
                              % (option, len(text), MAX_CSR_LENGTH))
    if "PRIVATE KEY-----" in text:
        raise ValidationError("%s holds a private key; give only the certificate signing request" % option)
    blocks = list(_CSR_BLOCK.finditer(text))
    if len(blocks) != 1:
        what = "none" if not blocks else "%d" % len(blocks)
        raise ValidationError("%s must be one PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----), "
                              "found %s in %s" % (option, what, shorten(text, 40)))
    try:
        der = base64.b64decode("".join(blocks[0].group("body").split()), validate=True)
        outer = _Der(der)
        tag, start, end = outer.read()
        if tag != 0x30 or not outer.done():
            raise ValueError("not one SEQUENCE")
        request = _Der(der, start, end)
        info_tag, info_start, info_end = request.read()
        algorithm_tag, _s, _e = request.read()
        signature_tag, _s, _e = request.read()
        if (info_tag, algorithm_tag, signature_tag) != (0x30, 0x30, 0x03) or not request.done():
            raise ValueError("not a PKCS#10 request")
        info = _Der(der, info_start, info_end)
        version_tag, _s, _e = info.read()
        subject_tag, subject_start, subject_end = info.read()
        key_tag, _s, _e = info.read()
        if (version_tag, subject_tag, key_tag) != (0x02, 0x30, 0x30):
            raise ValueError("not a PKCS#10 request")
        return {"subject_cn": _common_name(der, subject_start, subject_end)}
    except (ValueError, binascii.Error):
        raise ValidationError("%s is not a valid certificate signing request: its PEM body does not decode to a "
                              "PKCS#10 structure" % option) from None


def check_names(names, option="domains"):
    """Raise ValidationError unless every item of ``names`` is a DNS name (CloudStack joins them with commas)."""
    for index, name in enumerate(names or []):
        if name is None or str(name).strip() == "":
            raise ValidationError("%s[%d] must not be empty" % (option, index))
        if not _DNS_NAME.match(str(name)) or len(str(name)) > 253:
            raise ValidationError("%s[%d] is not a DNS name: %s" % (option, index, shorten(name)))


def check_addresses(addresses, option="ip_addresses"):
    """Raise ValidationError unless every item of ``addresses`` is an IPv4 or IPv6 address."""
    for index, address in enumerate(addresses or []):
        try:
            ipaddress.ip_address(str(address).strip() if address is not None else "")
        except ValueError:
            raise ValidationError("%s[%d] is not an IP address: %s" % (option, index, shorten(address))) from None


def check_duration(days, option="duration"):
    if days is not None and not 1 <= days <= MAX_DURATION_DAYS:
        raise ValidationError("%s must be between 1 and %d days, got %s" % (option, MAX_DURATION_DAYS, shorten(days)))


def is_secured(host):
    """Whether CloudStack shows ``host`` as secured (its ``details.secured`` is true)."""
    details = (host or {}).get("details") or {}
    return str(details.get("secured", "")).lower() == "true"


def split_certificates(pem):
    """The PEM certificates in ``pem`` (a bundle), each ending with a newline; [] for None."""
    return [block + "\n" for block in _CERT_BLOCK.findall(pem or "")]
