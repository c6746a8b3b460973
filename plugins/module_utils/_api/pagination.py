# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetch every page of a CloudStack list command.

CloudStack answers ``{"count": N, "<object>": [...]}`` and, when nothing matches, just ``{}``. ``count`` is the
total number of matches, not the length of the page. Pages are requested with ``page`` and ``pagesize``
together (CloudStack rejects one without the other) until ``count`` items were read or a page comes back short.
"""

from __future__ import annotations

MAX_PAGE_SIZE = 500


def items_of(response, object_name=None):
    """The list inside a list response, whatever its key; ``[]`` for the empty ``{}`` answer."""
    if not response:
        return []
    if object_name is not None:
        return response.get(object_name) or []
    for key, value in response.items():
        if key != "count" and isinstance(value, list):
            return value
    return []


def paginate(fetch, pagesize=MAX_PAGE_SIZE, object_name=None):
    """Call ``fetch(page, pagesize)`` until every item is read; return ``(items, pages_fetched)``."""
    if not 1 <= pagesize <= MAX_PAGE_SIZE:
        raise ValueError("pagesize must be between 1 and %d" % MAX_PAGE_SIZE)
    items = []
    page = 0
    while True:
        page += 1
        response = fetch(page, pagesize)
        batch = items_of(response, object_name)
        items.extend(batch)
        if len(batch) < pagesize:
            return items, page
        total = (response or {}).get("count")
        if total is not None and len(items) >= int(total):
            return items, page
