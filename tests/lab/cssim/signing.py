"""CloudStack request signing (ApiServer.verifyRequest).

The canonical string is every parameter except ``signature``, sorted by its original name, each as
``name=value`` with the value URL-encoded like Java's URLEncoder (then ``+`` -> ``%20``), joined with
``&`` and lower-cased as a whole. The signature is base64(HMAC-SHA1(secret, canonical)).
"""

import base64
import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import quote


def java_urlencode(value):
    """URLEncoder.encode(value, "UTF-8").replace("+", "%20"): unreserved are A-Z a-z 0-9 . - * _"""
    # Python's quote() never escapes "~" but Java's URLEncoder does.
    return quote(value, safe="*-._").replace("~", "%7E")


def canonical(params):
    """params: list of (name, value) pairs; the ``signature`` pair is skipped."""
    first = {}
    for k, v in params:
        if k.lower() != "signature" and k not in first:
            first[k] = v  # like the servlet parameter map: the first value of a name wins
    pairs = sorted(first.items())
    return "&".join("%s=%s" % (k, java_urlencode(v)) for k, v in pairs).lower()


def sign(params, secret):
    digest = hmac.new(secret.encode("utf-8"), canonical(params).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_query(params, api_key, secret, version3=False, expires_in=600):
    """Helper for tests and tools: returns a list of pairs including apikey and signature."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    pairs.append(("apikey", api_key))
    if version3:
        exp = datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() + expires_in, timezone.utc)
        pairs.append(("signatureversion", "3"))
        pairs.append(("expires", exp.strftime("%Y-%m-%dT%H:%M:%S+0000")))
    pairs.append(("signature", sign(pairs, secret)))
    return pairs


def parse_expires(text):
    """Parse CloudStack's TZ date ("yyyy-MM-dd'T'HH:mm:ssZ", optionally with millis); None if invalid."""
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text, fmt)
        except (TypeError, ValueError):
            continue
    return None


def verify(pairs, secret_for_key, now=None):
    """Check a request's signature. Returns (ok, api_key).

    ``secret_for_key`` maps an API key to its secret (None when unknown).
    """
    api_key = signature = version = expires = None
    for name, value in pairs:
        low = name.lower()
        if low == "signature" and signature is None:
            signature = value
        elif low == "apikey" and api_key is None:
            api_key = value
        elif low == "signatureversion" and version is None:
            version = value
        elif low == "expires" and expires is None:
            expires = value
    if not signature or not api_key:
        return False, api_key
    if version == "3":
        when = parse_expires(expires) if expires else None
        if when is None:
            return False, api_key
        now = now or datetime.now(timezone.utc)
        if when < now:
            return False, api_key
    secret = secret_for_key(api_key)
    if secret is None:
        return False, api_key
    expected = sign(pairs, secret)
    return hmac.compare_digest(expected.encode(), signature.encode()), api_key
