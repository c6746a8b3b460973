"""Command registry: one small handler per API command, registered by name."""

import importlib
import pkgutil

from .params import compile_specs

COMMANDS = {}


class Command:
    def __init__(self, name, func, params, begin=None, complete=None, revert=None, instance_type=None, progress=None):
        self.name = name
        self.func = func
        self.declared = dict(params)
        self.specs = compile_specs(params)
        # async commands: job life-cycle hooks (see jobs.py)
        self.begin = begin
        self.complete = complete
        self.revert = revert
        self.progress = progress
        self.instance_type = instance_type

    @property
    def is_async(self):
        return self.complete is not None


def command(name, params=None, begin=None, complete=None, revert=None, instance_type=None, progress=None):
    """Register ``func(ctx, p)`` as the handler of API command ``name``.

    ``params`` declares every parameter the command accepts (see params.py). For async commands,
    ``complete(ctx, job)`` finishes a job and returns the result object; ``begin(ctx, job)`` runs when the
    job starts executing, ``progress(ctx, job, fraction)`` on every tick in between (fraction of the
    job's duration elapsed) and ``revert(ctx, job)`` when a failure ends it.
    """

    def wrap(func):
        if name in COMMANDS:
            raise ValueError("command %s registered twice" % name)
        COMMANDS[name] = Command(name, func, params or {}, begin, complete, revert, instance_type, progress)
        return func

    return wrap


_loaded = False


def load_handlers():
    """Import every module of cssim.handlers so that their commands register."""
    global _loaded
    if _loaded:
        return COMMANDS
    from . import handlers

    for info in pkgutil.iter_modules(handlers.__path__):
        importlib.import_module("%s.%s" % (handlers.__name__, info.name))
    _loaded = True
    return COMMANDS
