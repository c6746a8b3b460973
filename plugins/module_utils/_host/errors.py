# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The error type of everything on the host side, and how values are shown in its one-line messages."""

from __future__ import annotations

SHOWN_CHARS = 60


class HostError(Exception):
    """A host-side task failed; ``str()`` is one line saying what and why.

    ``result`` is what was done before the failure (a module result dict, ``changed`` true when something
    was written), so the module can report it with the failure.
    """

    def __init__(self, message, result=None):
        super().__init__(one_line(message))
        self.result = result


def one_line(text):
    """``text`` with line breaks and other control characters shown as escapes."""
    return "".join(ch if ch >= " " and ch != "\x7f" else repr(ch)[1:-1] for ch in str(text))


def describe(value, limit=SHOWN_CHARS):
    """A value for a message: quoted, on one line, cut to about ``limit`` characters with its length."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        shown = one_line(value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
        if len(shown) > limit:
            return "'%s...' (%d characters)" % (shown[:limit], len(value))
        return "'%s'" % shown
    shown = one_line(repr(value))
    return shown if len(shown) <= limit else "%s... (%d characters)" % (shown[:limit], len(shown))
