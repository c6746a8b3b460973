# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Owner and group of what a host module writes (module_utils/_host/module.py OWNER_SPEC).
    DOCUMENTATION = r"""
options:
  owner:
    description:
      - Owner of the files the module writes, a user name or a uid (0 to 4294967294).
    type: str
    default: root
  group:
    description:
      - Group of the files the module writes, a group name or a gid (0 to 4294967294).
    type: str
    default: root
"""

    # One fragment per host path option (module_utils/_host/module.py HOST_PATH_SPEC). Paths must be absolute.
    HOOKS_DIR = r"""
options:
  hooks_dir:
    description:
      - libvirt's hook directory; the qemu hook is C(<hooks_dir>/qemu). An absolute path.
    type: path
    default: /etc/libvirt/hooks
"""

    CUSTOM_DIR = r"""
options:
  custom_dir:
    description:
      - Directory of the qemu hook's custom scripts. An absolute path. CloudStack's hook always uses
        C(/etc/libvirt/hooks/custom).
    type: path
    default: /etc/libvirt/hooks/custom
"""

    LOG_PATH = r"""
options:
  log_path:
    description:
      - File the qemu hook dispatcher appends its log lines and the scripts' output to (the same file
        CloudStack's hook logs to). An absolute path; it must not be a directory. Its directory must exist;
        libvirt creates C(/var/log/libvirt).
    type: path
    default: /var/log/libvirt/qemu-hook.log
"""
