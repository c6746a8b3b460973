"""API command handlers: one module per command, registered with @command (see cssim.registry).

To add a command:

1. make sure it is in tests/lab/contract/api-contract.json (add it, marked with a "source", if upstream lacks it);
2. add ``handlers/<command_in_snake_case>.py`` with ``@command("<name>", params={...})`` declaring every
   parameter the contract lists (``[~]type[:kind][!]``, see cssim.params) and a function ``(ctx, p)`` that
   returns the response body: ``ctx.list_body(items, count)``, ``ctx.object_body(obj)``, or for async
   commands ``{"jobid": ctx.submit_job(instance_type, instance_id, args)}`` with ``complete`` (and
   optionally ``begin``/``revert``) hooks;
3. build response objects in cssim.render with contract field names only (the server refuses others);
4. add the command to tests/lab/tests/test_cssim_contract.py::test_every_answer_conforms.

Modules whose name starts with "_" hold shared helpers and register nothing.
"""
