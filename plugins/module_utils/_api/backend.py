# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every API backend: what a task gives the manager that does its work."""

from __future__ import annotations


class ApiBackend:
    """A task's work, without Ansible: ``run()`` returns the result dict or raises a CloudStackError carrying the
    result so far.

    It is given the client, the task's options, whether it runs in check mode and diff mode, and the task's
    Deadline (None for a task that waits for nothing)."""

    def __init__(self, client, params, check_mode=False, diff=False, deadline=None):
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.deadline = deadline

    def run(self):
        raise NotImplementedError
