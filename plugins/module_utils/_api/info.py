# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the read-only ``*_info`` modules: stable return keys, in a stable order."""

from __future__ import annotations

from .lookup import find


def project(item, keys):
    """``item`` reduced to ``keys``, in that order; keys CloudStack did not return are None."""
    return {key: item.get(key) for key in keys}


def list_projected(client, kind, filters, keys):
    """Every object of ``kind`` matching ``filters`` (``name`` exactly), reduced to ``keys``, sorted by name
    then id."""
    items = find(client, kind, **filters)
    return sorted((project(item, keys) for item in items), key=lambda item: (item["name"] or "", item["id"] or ""))
