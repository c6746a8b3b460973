# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The location options of LOCATION_SPEC in plugins/module_utils/_api/args.py, one fragment per option so a
    # module documents exactly the ones it takes: csops.cloudstack.location.ZONE, .POD, .CLUSTER, .HOST.
    DOCUMENTATION = r"""
options: {}
"""

    ZONE = r"""
options:
  zone:
    description:
      - Only objects of this zone, by name or id.
      - An empty value is an error; leave the option out to mean every zone.
    type: str
"""

    POD = r"""
options:
  pod:
    description:
      - Only objects of this pod, by name or id (searched in O(zone) when it is given).
      - An empty value is an error; leave the option out to mean every pod.
    type: str
"""

    CLUSTER = r"""
options:
  cluster:
    description:
      - Only objects of this cluster, by name or id (searched in O(zone) when it is given).
      - An empty value is an error; leave the option out to mean every cluster.
    type: str
"""

    HOST = r"""
options:
  host:
    description:
      - Only objects on this hypervisor host, by name or id (searched in O(zone) when it is given).
      - An empty value is an error; leave the option out to mean every host.
    type: str
"""
