# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the maintenance backends (host maintenance, allocation state, rolling maintenance, cluster reads)."""

from __future__ import annotations

from .._api.errors import CloudStackError


class MaintenanceError(CloudStackError):
    """A maintenance step was refused or failed. ``result`` carries what the task did and saw so far (the host,
    the drain, the capacity figures), and ``changed`` when something was changed before the failure."""


class RefusedError(MaintenanceError):
    """The task was refused before anything was changed (host not Up, a VM in a transitional state, not enough
    room on the rest of the cluster)."""
