from .. import errors
from ..registry import command
from ._systemvm_power import result, submit, vm_of


def complete(ctx, job):
    # a reboot keeps the VM Running throughout; a VM that is not running cannot be rebooted
    vm = vm_of(ctx, job)
    if vm["state"] != "Running":
        raise errors.ApiError(errors.INTERNAL_ERROR, "Fail to reboot system vm")
    return result(ctx, vm)


@command("rebootSystemVm", params={"id": "uuid:systemvm!", "forced": "boolean"},
         complete=complete, instance_type="SystemVm")
def reboot_system_vm(ctx, p):
    return submit(ctx, p, forced=p.get("forced", False))
