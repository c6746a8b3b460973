# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seeded objects of every setting scope, for the settings backend tests (the simulator, its control API and
the client come from tests/unit/plugins/module_utils/conftest.py)."""

import pytest


_COLLECTIONS = {"zone": "zones", "cluster": "clusters", "account": "accounts", "domain": "domains",
                "storagepool": "storage_pools", "imagestore": "image_stores"}


@pytest.fixture
def world(control):
    """Ids of the seeded objects of each scope: ``{scope kind: {name: id}}``."""
    state = control.state()
    return {kind: {obj["name"]: obj_id for obj_id, obj in state[key].items()} for kind, key in _COLLECTIONS.items()}
