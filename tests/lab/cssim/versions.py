"""CloudStack version strings: parsing and comparison."""

import functools
import re

_NUM = re.compile(r"\d+(?:\.\d+)*")


def parse(text):
    """'4.20.1.0' -> (4, 20, 1, 0); None or text without a version -> None."""
    if not text:
        return None
    match = _NUM.search(str(text))
    if not match:
        return None
    return tuple(int(part) for part in match.group(0).split("."))


def cmp(a, b):
    """Compare two version strings like CloudStackVersion.compare (missing parts count as 0)."""
    ta, tb = parse(a) or (), parse(b) or ()
    width = max(len(ta), len(tb))
    ta = ta + (0,) * (width - len(ta))
    tb = tb + (0,) * (width - len(tb))
    return (ta > tb) - (ta < tb)


@functools.lru_cache(maxsize=1024)  # asked for every field of every answer object
def available(since, version):
    """True when a field/param marked ``since`` exists in CloudStack ``version``.

    Values like ">4.18 (cloudstack-go 4.22.1 SDK)" carry no exact release; they count as available.
    """
    if not since or str(since).startswith(">"):
        return True
    return cmp(since, version) <= 0


def major_minor(version):
    parts = parse(version) or (0, 0)
    return "%d.%d" % (parts[0], parts[1] if len(parts) > 1 else 0)
