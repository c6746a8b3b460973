# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the read-only ``*_info`` modules: stable return keys and name-to-id filters."""

from __future__ import annotations

from .lookup import resolve_id


def project(item, keys):
    """``item`` reduced to ``keys``, in that order; keys CloudStack did not return are None."""
    return {key: item.get(key) for key in keys}


def list_projected(client, command, filters, keys, name=None):
    """Every item of ``command`` matching ``filters`` (and exactly ``name``, CloudStack's name filter being a
    substring match for some commands), reduced to ``keys`` and sorted by name then id."""
    items = client.list(command, filters)
    if name:
        items = [item for item in items if item.get("name") == name]
    return sorted((project(item, keys) for item in items), key=lambda item: (item["name"] or "", item["id"] or ""))


def location_filters(client, params, kinds=("zone", "pod", "cluster", "host")):
    """API filter parameters (``zoneid`` ...) from options named after ``kinds``, which hold names or ids."""
    filters = {}
    for kind in kinds:
        value = params.get(kind)
        if value:
            scope = {"zoneid": filters["zoneid"]} if "zoneid" in filters and kind != "zone" else None
            filters[kind + "id"] = resolve_id(client, kind, value, scope)
    return filters
