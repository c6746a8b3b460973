"""migrateSystemVm: live migration of a running SSVM/CPVM to another host of the same cluster.

As in CloudStack the checks run inside the job (MigrateSystemVMCmd.execute), so a refused migration is a
failed job: 431 for invalid destinations (InvalidParameterValueException), 530 for a VM that is not running
or a host in another cluster (CloudRuntimeException, the lab's primary storage is cluster-wide)."""

from .. import errors
from ..registry import command
from ._systemvm_power import result, usable_host, vm_of


def _bad(text):
    return errors.ApiError(errors.PARAM_ERROR, text, errors.CS_INVALID_PARAMETER_VALUE)


def _internal(text):
    return errors.ApiError(errors.INTERNAL_ERROR, text, errors.CS_CLOUD_RUNTIME)


def destination(ctx, job):
    """The host to migrate to, or raise the error CloudStack gives."""
    vm, args, world = vm_of(ctx, job), job["args"], ctx.world
    if vm["state"] not in ("Running", "Migrating"):
        raise _internal("VM is not Running, unable to migrate the vm currently %s, current state: %s"
                        % (vm["name"], vm["state"]))
    source = world.get("host", vm["hostid"])
    if args.get("hostid") is None:
        if args.get("autoselect") is False:
            raise _bad("Please specify a host or storage as destination, or pass 'autoselect=true' to automatically "
                       "select a destination host which do not require storage migration")
        host = next((h for h in world.all("host").values() if usable_host(h) and h["id"] != source["id"]
                     and h.get("clusterid") == source.get("clusterid")), None)
        if host is None:
            raise _internal("Unable to find suitable destination to migrate VM %s" % vm["name"])
        return host
    host = world.get("host", args["hostid"])
    if host["type"] != "Routing":
        raise _bad("Unable to find the host to migrate the VM, host id=%s" % host["id"])
    if host["id"] == source["id"]:
        raise _bad("Cannot migrate VM, VM is already present on this host, please specify valid destination host "
                   "to migrate the VM")
    if not usable_host(host):
        raise _bad("Cannot migrate VM, destination host is not in correct state, has status: %s, state: %s"
                   % (host["state"], host["resourcestate"]))
    if host.get("clusterid") != source.get("clusterid"):
        raise _internal("Source and destination host are not in same cluster, unable to migrate to host: %s"
                        % host["id"])
    return host


def begin(ctx, job):
    try:
        destination(ctx, job)
    except errors.ApiError:
        return  # the job fails when it completes
    vm = vm_of(ctx, job)
    vm["state"] = "Migrating"


def complete(ctx, job):
    host = destination(ctx, job)
    vm = vm_of(ctx, job)
    vm.update(state="Running", hostid=host["id"], lasthostid=host["id"], podid=host["podid"])
    return result(ctx, vm)


def revert(ctx, job):
    vm = vm_of(ctx, job)
    if vm["state"] == "Migrating":
        vm["state"] = "Running"


@command("migrateSystemVm", params={
    "virtualmachineid": "uuid:systemvm!", "autoselect": "boolean", "hostid": "uuid:host",
    "storageid": "~uuid:storagepool",
}, begin=begin, complete=complete, revert=revert, instance_type="SystemVm")
def migrate_system_vm(ctx, p):
    args = {"hostid": p.get("hostid"), "autoselect": p.get("autoselect")}
    return {"jobid": ctx.submit_job("SystemVm", p["virtualmachineid"], args)}
