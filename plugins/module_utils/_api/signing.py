# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signing of CloudStack API requests, as the management server verifies them (ApiServer.verifyRequest).

The string signed is every parameter except ``signature``, sorted by name, each written ``name=value`` with the
value encoded like Java's ``URLEncoder.encode(value, "UTF-8")`` and ``+`` then replaced by ``%20``, joined with
``&`` and lower-cased as a whole. The signature is base64(HMAC-SHA1(secret, that string)). Requests always carry
``signatureversion=3`` and an ``expires`` time, so a captured URL stops working after a while.

The same encoder writes the query on the wire: the server decodes the query, then encodes each value again
to check the signature, so the wire encoding only has to decode back to the values signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

# Signed requests expire after this many seconds.
SIGNATURE_LIFETIME = 600

# CloudStack's TZ date format, yyyy-MM-dd'T'HH:mm:ssZ, always written in UTC.
EXPIRES_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"

# Java's URLEncoder leaves A-Z a-z 0-9 . - * _ alone and writes every other byte of the UTF-8 form as %XX
# (a space as "+", which CloudStack then turns into %20). Unlike Python's quote(), "~" is encoded.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_")
_BYTE_TEXT = tuple(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in range(256))


def encode(text):
    """``text`` encoded like Java's URLEncoder.encode(text, "UTF-8") with ``+`` replaced by ``%20``."""
    return "".join(_BYTE_TEXT[b] for b in text.encode("utf-8"))


def _scalar(name, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError("parameter %s: cannot send a %s to CloudStack" % (name, type(value).__name__))


def flatten(params):
    """CloudStack's request parameters for ``params``, as a list of ``(name, text)`` pairs.

    None (and an empty list or dict) means "not given" and is dropped; booleans are ``true``/``false``;
    numbers are written with ``str()``; a list of scalars is one comma-separated value (``zoneids``); a dict
    is a map parameter, ``details={"a": 1}`` -> ``details[0].a=1``, and a list of dicts numbers its entries,
    ``tags=[{"key": "k", "value": "v"}, ...]`` -> ``tags[0].key=k&tags[0].value=v&tags[1]...``.
    """
    pairs = []
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, dict):
            value = [value]
        if isinstance(value, (list, tuple)):
            if not value:
                continue
            if all(isinstance(item, dict) for item in value):
                for index, entry in enumerate(value):
                    for key, item in entry.items():
                        if item is not None:
                            pairs.append(("%s[%d].%s" % (name, index, key), _scalar(name, item)))
                continue
            value = ",".join(_scalar(name, item) for item in value)
        pairs.append((name, _scalar(name, value)))
    return pairs


def canonical(pairs):
    """The string CloudStack signs: sorted ``name=encoded value`` pairs without ``signature``, lower-cased."""
    kept = sorted((name, value) for name, value in pairs if name.lower() != "signature")
    return "&".join("%s=%s" % (name, encode(value)) for name, value in kept).lower()


def signature(pairs, secret):
    """base64(HMAC-SHA1(secret, canonical(pairs)))."""
    digest = hmac.new(secret.encode("utf-8"), canonical(pairs).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def expires_at(now, lifetime=SIGNATURE_LIFETIME):
    """The ``expires`` text for a request signed at epoch time ``now``."""
    return time.strftime(EXPIRES_FORMAT, time.gmtime(int(now) + lifetime))


def signed_pairs(command, params, key, secret, now=None, lifetime=SIGNATURE_LIFETIME):
    """Every parameter of a signed JSON request for ``command``, ``signature`` last.

    ``now`` is the epoch time of signing (default: the current time); the request expires ``lifetime``
    seconds after it.
    """
    pairs = [("command", command)] + flatten(params) + [
        ("response", "json"),
        ("apikey", key),
        ("signatureversion", "3"),
        ("expires", expires_at(time.time() if now is None else now, lifetime)),
    ]
    names = set()
    for name, _value in pairs:
        low = name.lower()
        if low in names:
            raise ValueError("parameter %s is given twice" % name)
        names.add(low)
    pairs.append(("signature", signature(pairs, secret)))
    return pairs


def encode_query(pairs):
    """``pairs`` as a query string or form body, names and values encoded like the values signed."""
    return "&".join("%s=%s" % (encode(name), encode(value)) for name, value in pairs)
