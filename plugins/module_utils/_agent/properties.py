# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The text of CloudStack's ``agent.properties``: read it, and change some keys while every other line, comment
and the order stay as they are.

The file is a Java properties file, read by the agent with ``java.util.Properties`` and by CloudStack's shell
scripts with ``sed``. Lines are ``key=value`` (``key: value`` and ``key value`` are read too); ``#`` and ``!``
start a comment; a line ending in an odd number of backslashes continues on the next one. Values are kept and
written as raw text (what follows the separator), which is what both kinds of reader agree on for the values
CloudStack uses.
"""

from __future__ import annotations

import re

from .._host.errors import HostError, describe

PASSPHRASE_KEY = "keystore.passphrase"
# Keys whose values never appear in a result, a diff or a message.
SECRET_KEYS = frozenset([PASSPHRASE_KEY])
MASK = "********"

_KEY_RE = re.compile(r"^[A-Za-z0-9_.\-/@]+$")
_SEPARATOR_RE = re.compile(r"\s*[=:]\s*|\s+")
_COMMENTED_RE = re.compile(r"^\s*[#!]\s*([A-Za-z0-9_.\-/@]+)\s*=")


class PropertiesError(HostError):
    """The properties text or a requested change cannot be handled; the message says which key and why."""


class Entry:
    """One logical line: ``key`` (None for comments and blank lines), ``value`` (raw text) and its lines."""

    def __init__(self, lines, key=None, value=None):
        self.lines = lines
        self.key = key
        self.value = value


def _continues(line):
    stripped = line.rstrip("\r\n")
    trailing = len(stripped) - len(stripped.rstrip("\\"))
    return trailing % 2 == 1


def parse(text):
    """The entries of a properties text, in order; joining their lines gives the text back unchanged."""
    entries = []
    lines = text.splitlines(True)
    index = 0
    while index < len(lines):
        line = lines[index]
        body = line.lstrip(" \t\f")
        if not body.strip() or body[0] in "#!":
            entries.append(Entry([line]))
            index += 1
            continue
        group = [line]
        while _continues(group[-1]) and index + len(group) < len(lines):
            group.append(lines[index + len(group)])
        index += len(group)
        logical = body.rstrip("\r\n")
        key, value = _split(logical)
        if len(group) > 1:
            value = None  # a continued value is never compared or shown; it is replaced when managed
        entries.append(Entry(group, key, value))
    return entries


def _split(logical):
    """(key, raw value) of one logical line."""
    position = 0
    while position < len(logical):
        char = logical[position]
        if char == "\\":
            position += 2
            continue
        if char in "=: \t\f":
            break
        position += 1
    key = logical[:position]
    match = _SEPARATOR_RE.match(logical, position)
    rest = logical[match.end():] if match else logical[position:]
    return key, rest


def values(text):
    """``{key: value}`` as the agent sees them (the last line of a key wins); continued values are None."""
    result = {}
    for entry in parse(text or ""):
        if entry.key is not None:
            result[entry.key] = entry.value
    return result


def commented_keys(text):
    """Keys that appear on commented-out assignments (``#key=...``), in order."""
    found = []
    for line in (text or "").splitlines():
        match = _COMMENTED_RE.match(line)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


def check_key(option, key):
    """``key`` if it is a property name this module can write, else PropertiesError naming ``option``."""
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise PropertiesError("%s: not a property name (letters, digits and . _ - / @ only), got %s"
                              % (option, describe(key)))
    return key


def check_value(option, key, value):
    """The text of ``value`` for ``key``; PropertiesError for line breaks or a value that is not a scalar."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float, str)):
        text = str(value)
    else:
        raise PropertiesError("%s: value of %s must be a string, number or boolean, got %s"
                              % (option, key, type(value).__name__))
    if any(ch < " " and ch != "\t" or ch == "\x7f" for ch in text):
        shown = MASK if key in SECRET_KEYS or option.startswith("secret") else describe(text)
        raise PropertiesError("%s: value of %s must not contain line breaks or other control characters, got %s"
                              % (option, key, shown))
    if text != text.strip():
        raise PropertiesError("%s: value of %s must not start or end with blanks (the agent would not see them)"
                              % (option, key))
    if text.endswith("\\"):
        raise PropertiesError("%s: value of %s must not end with a backslash (it would join the next line)"
                              % (option, key))
    return text


def edit(text, present, absent):
    """The text with ``present`` ({key: value}) set and the keys in ``absent`` removed.

    Returns ``(new_text, changed_keys)``. A key already set to its value keeps its line; a key set to another
    value gets its first line rewritten (``key=value``) and its later duplicate lines removed; a new key is
    appended at the end. Removing a key removes each of its lines. Everything else is kept byte for byte.
    """
    entries = parse(text or "")
    newline = "\r\n" if "\r\n" in (text or "") else "\n"
    changed = []
    done = set()
    out = []
    for entry in entries:
        key = entry.key
        if key is None:
            out.extend(entry.lines)
        elif key in absent:
            _mark(changed, key)
        elif key in present:
            wanted = present[key]
            last = [e for e in entries if e.key == key][-1]
            if key in done:
                _mark(changed, key)
            elif entry is last and entry.value == wanted:
                out.extend(entry.lines)
                done.add(key)
            else:
                out.append("%s=%s%s" % (key, wanted, newline))
                done.add(key)
                _mark(changed, key)
        else:
            out.extend(entry.lines)
    missing = [key for key in present if key not in done]
    if missing:
        if out and not out[-1].endswith(("\n", "\r")):
            out.append(newline)
        for key in missing:
            out.append("%s=%s%s" % (key, present[key], newline))
            _mark(changed, key)
    return "".join(out), changed


def _mark(changed, key):
    if key not in changed:
        changed.append(key)


def masked(text, secret_keys):
    """``text`` with the values of ``secret_keys`` (on any line, commented or not) replaced by a mask."""
    if text is None:
        return None
    out = []
    for entry in parse(text):
        if entry.key in secret_keys:
            ending = entry.lines[-1][len(entry.lines[-1].rstrip("\r\n")):]
            out.append("%s=%s%s" % (entry.key, MASK, ending))
            continue
        match = _COMMENTED_RE.match(entry.lines[0]) if entry.key is None else None
        if match and match.group(1) in secret_keys:
            line = entry.lines[0]
            ending = line[len(line.rstrip("\r\n")):]
            out.append("%s%s%s" % (line[:match.end()], MASK, ending))
            continue
        out.extend(entry.lines)
    return "".join(out)
