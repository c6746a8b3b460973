"""Bring the csops.cloudstack lab up, take it down, or show its state.

    labctl.py up [--no-simulator]    build namespaces, sshd, files under .state/ and start the simulator
    labctl.py down [--keep-sim-state]  stop everything the lab started and remove its network
    labctl.py status                 show what is up (exit 0 only when everything is)
    labctl.py watch                  (started by `up`) namespaces for replacement system VMs and routers

`up` and `down` are idempotent: each checks what exists and only does what is missing, so they also repair
or clean up after an interrupted run. Needs root, iproute2 and openssh-server. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

LAB_DIR = Path(__file__).resolve().parent
REPO = LAB_DIR.parent.parent
sys.path.insert(0, str(LAB_DIR))

from hosts import model, net, proc, render, ssh, vms  # noqa: E402  (after the sys.path tweak)

sys.path.insert(0, str(LAB_DIR / "libvirt"))
import labvirt  # noqa: E402  (the KVM hosts' lab files and restart commands)

DEFAULT_API_KEY = "csl-admin-apikey"
DEFAULT_SECRET_KEY = "csl-admin-secret"
SIM_PORT = 8080
LIBVIRT_HOST = "kvm1"  # the test host whose namespace runs the lab libvirtd (tests/lab/libvirt/labvirt.py)


class Paths:
    """Everything the lab keeps under tests/lab/.state/."""

    def __init__(self, state: Path):
        self.state = state
        self.ssh_dir = state / "ssh"
        self.identity = self.ssh_dir / "id_ed25519"
        self.authorized_keys = self.ssh_dir / "authorized_keys"
        self.ssh_config = self.ssh_dir / "ssh_config"
        self.known_hosts = self.ssh_dir / "known_hosts"
        self.env = state / "env"
        self.inventory = state / "inventory.yml"
        # the same machines through the inventory plugin csops.cloudstack.cloudstack (its config)
        self.plugin_inventory = state / "cloudstack.yml"
        self.record = state / "lab.json"
        self.lock = state / ".lock"
        self.logs = state / "logs"
        self.sim_dir = state / "sim"
        self.sim_pidfile = state / "run" / "cssim.pid"
        self.web_pidfile = state / "run" / "web.pid"
        self.watch_pidfile = state / "run" / "watch.pid"
        self.watch_log = state / "logs" / "watch.log"
        # where the simulator keeps diagnostics archives and the switch that makes their URL unreachable
        self.diag_www = self.sim_dir / "secondary" / "www"
        self.diag_down = self.sim_dir / "secondary" / "url_down"
        self.sim_log = self.logs / "cssim.log"
        # stand-in for `systemctl restart cloudstack-management` on ms1 (the inventory names it)
        self.ms_script = state / "bin" / "cloudstack-management"
        # Ansible's ControlPersist sockets: `<dir>/<40 hex>` must fit a unix socket path (108 bytes).
        cp = state / "cp"
        if len(str(cp)) + 42 > 100:
            cp = Path("/tmp") / ("cslab-cp-" + hashlib.sha1(str(state).encode()).hexdigest()[:10])
        self.control_path_dir = cp


def log(msg: str) -> None:
    print(f"labctl: {msg}", flush=True)


@contextlib.contextmanager
def locked(paths: Paths):
    paths.state.mkdir(parents=True, exist_ok=True)
    with open(paths.lock, "w", encoding="ascii") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def preflight() -> None:
    if os.geteuid() != 0:
        sys.exit("labctl: must run as root (it creates network namespaces)")
    missing = [t for t in ("ip", "ssh", "ssh-keygen", "unshare", "hostname") if shutil.which(t) is None]
    if not os.access(ssh.SSHD, os.X_OK):
        missing.append(ssh.SSHD)
    if missing:
        sys.exit(f"labctl: missing {', '.join(missing)}; run `make setup` (iproute2, openssh-server, ...)")


def load_record(paths: Paths) -> dict:
    try:
        return json.loads(paths.record.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_record(paths: Paths, record: dict) -> None:
    ssh.write_if_changed(paths.record, json.dumps(record, indent=2, sort_keys=True) + "\n")


def python_for_simulator() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


# --- simulator ----------------------------------------------------------------------------------------


def management_server(lab: model.Lab) -> model.Machine:
    for m in lab.machines:
        if m.kind == "management":
            return m
    raise model.TopologyError("topology has no management server with a lab_namespace")


def sim_urls(ms: model.Machine) -> dict[str, str]:
    base = f"http://{ms.address}:{SIM_PORT}"
    return {"api": f"{base}/client/api", "control": f"{base}/lab", "mark": f"{base}/lab/requests/mark",
            "health": f"{base}/lab/health"}


def sim_pid(paths: Paths, ms: model.Machine | None = None) -> int | None:
    pid = proc.read_pid(paths.sim_pidfile)
    if not proc.alive(pid) or "cssim" not in proc.cmdline(pid):
        return None
    if ms is not None and not proc.in_namespace(pid, ms.namespace):
        return None
    return pid


def sim_answers(url: str, timeout: float = 1.0) -> bool:
    # No proxy: lab addresses must never be sent to a proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            resp.read()
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def stop_simulator(paths: Paths) -> int:
    pid = sim_pid(paths)
    changed = 0
    if pid:
        proc.stop([pid], timeout=10)
        changed = 1
    with contextlib.suppress(FileNotFoundError):
        paths.sim_pidfile.unlink()
    return changed


def sim_command(paths: Paths, ms: model.Machine, topology: Path, api_key: str, secret_key: str) -> list[str]:
    """The simulator's command line, run inside the management server's namespace."""
    return [shutil.which("ip") or "ip", "netns", "exec", ms.namespace, "env", f"PYTHONPATH={LAB_DIR}",
            "PYTHONUNBUFFERED=1", f"CSLAB_SSH_CONFIG={paths.ssh_config}",
            f"CSLAB_DIAG_URL=http://{vms.SSVM_WEB_ADDRESS}", python_for_simulator(), "-m", "cssim",
            "--state-dir", str(paths.sim_dir), "--topology", str(topology),
            "--host", ms.address, "--port", str(SIM_PORT), "--pidfile", str(paths.sim_pidfile),
            "--api-key", api_key, "--secret-key", secret_key]


def management_script(paths: Paths, ms: model.Machine, topology: Path, api_key: str, secret_key: str) -> str:
    return render.management_script(
        sim_command(paths, ms, topology, api_key, secret_key), paths.sim_pidfile, paths.sim_log,
        sim_urls(ms)["health"], python_for_simulator(), REPO, shutil.which("setsid") or "setsid")


def ensure_simulator(paths: Paths, lab: model.Lab, topology: Path, api_key: str, secret_key: str,
                     timeout: float) -> int:
    ms = management_server(lab)
    urls = sim_urls(ms)
    if not (LAB_DIR / "cssim" / "__main__.py").exists():
        raise RuntimeError(f"simulator package missing: {LAB_DIR / 'cssim'} (use --no-simulator for hosts only)")
    pid = sim_pid(paths, ms)
    changed = 0
    child = None
    log_start = 0
    if pid is None:
        stop_simulator(paths)  # a stale one, e.g. in a namespace that was since recreated
        paths.sim_dir.mkdir(parents=True, exist_ok=True)
        paths.sim_pidfile.parent.mkdir(parents=True, exist_ok=True)
        paths.logs.mkdir(parents=True, exist_ok=True)
        cmd = sim_command(paths, ms, topology, api_key, secret_key)
        with open(paths.sim_log, "ab") as logf:
            log_start = logf.tell()
            logf.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} labctl: {' '.join(cmd)}\n".encode())
            logf.flush()
            # `ip netns exec` and `env` exec, so the child's pid is the simulator's own.
            child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=str(REPO))
        paths.sim_pidfile.write_text(f"{child.pid}\n")
        pid = child.pid
        changed = 1
    deadline = time.monotonic() + timeout
    while not sim_answers(urls["mark"]):
        dead = child.poll() is not None if child else not proc.alive(pid)
        if dead or time.monotonic() > deadline:
            with open(paths.sim_log, "rb") as fh:
                fh.seek(log_start)
                tail = "\n".join(fh.read().decode(errors="replace").splitlines()[-40:])
            why = "exited" if dead else f"did not answer {urls['mark']} within {timeout:.0f}s"
            if not dead:
                proc.stop([pid])
            raise RuntimeError(f"simulator {why}; log {paths.sim_log}:\n{tail}")
        time.sleep(0.05)
    return changed


# --- up / down / status ------------------------------------------------------------------------------


def cmd_up(args, paths: Paths) -> int:
    preflight()
    t0 = time.monotonic()
    topology = Path(args.topology).resolve()
    lab = model.load(topology)
    with locked(paths):
        record = load_record(paths)
        record["namespaces"] = sorted(set(record.get("namespaces", [])) | set(lab.namespaces))
        record["root_links"] = sorted(set(record.get("root_links", []))
                                      | {model.ROOT_BRIDGE} | {m.outer_ifname for m in lab.hosts}
                                      | {web_ifname(m) for m in [vms.web_vm(lab)] if m})
        record["control_path_dir"] = str(paths.control_path_dir)
        record["topology"] = str(topology)
        record["simulator"] = not args.no_simulator
        save_record(paths, record)  # first, so `down` can clean up whatever a failed `up` leaves

        changes = 0
        changes += net.ensure_guard_route()  # before any 10.250 address exists
        changes += net.ensure_bridge(None, model.ROOT_BRIDGE, model.ROOT_ADDR)
        created = sum(net.ensure_namespace(m.namespace) for m in lab.machines)
        if created:
            # ssh masters (Ansible ControlPersist) into a namespace that was just (re)made are dead ends, and
            # so are processes left in a namespace that was deleted under them.
            close_ssh_masters(paths, record)
            changes += len(proc.stop(orphans(record, lab.namespaces)))
        record["netns_inodes"] = sorted({proc.netns_inode(ns) for ns in lab.namespaces} - {None})
        save_record(paths, record)
        changes += created
        for m in lab.hosts:
            changes += net.ensure_veth(None, m.outer_ifname, model.ROOT_BRIDGE, m.namespace, m.cidr)
        for h in lab.kvm_hosts:
            changes += net.ensure_bridge(h.namespace, model.CLOUD0, model.CLOUD0_ADDR)
        for v in lab.vms:
            host = lab.by_name(v.parent)
            changes += net.ensure_veth(host.namespace, v.outer_ifname, model.CLOUD0, v.namespace, v.cidr)
        web = vms.web_vm(lab)
        if web is not None:  # the SSVM's address on the lab bridge, where the diagnostics URL is served
            changes += net.ensure_veth(None, web_ifname(web), model.ROOT_BRIDGE, web.namespace,
                                       f"{vms.SSVM_WEB_ADDRESS}/{model.LAB_NET.prefixlen}", vms.SSVM_WEB_IFNAME)
        if changes:
            net.flush_neighbours(lab.namespaces)
        for m in lab.machines:
            changes += net.write_netns_etc(m.namespace, render.netns_hosts(lab, m))

        changes += ssh.ensure_keypair(paths.identity)
        pub = paths.identity.with_suffix(".pub").read_text()
        changes += ssh.write_if_changed(paths.authorized_keys, pub, 0o600)
        changes += vms.ensure_cloud_key(paths.state)
        if lab.kvm_hosts:
            changes += vms.ensure_root_ssh_mountpoint(record)
            save_record(paths, record)
        for m in lab.machines:
            changes += start_machine(paths, m)
        changes += ssh.write_if_changed(paths.known_hosts, ssh.known_hosts(lab, paths.state), 0o644)
        changes += ssh.write_if_changed(paths.ssh_config,
                                        ssh.client_config(lab, paths.identity, paths.known_hosts), 0o644)
        paths.control_path_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        ms = management_server(lab)
        paths.ms_script.parent.mkdir(parents=True, exist_ok=True)
        changes += ssh.write_if_changed(
            paths.ms_script, management_script(paths, ms, topology, args.api_key, args.secret_key), 0o755)
        extra_vars = {
            ms.name: {"cloudstack_management_restart_command": f"{shlex.quote(str(paths.ms_script))} restart"},
            # the lab's libvirtd runs in kvm1's namespace (tests/lab/libvirt/labvirt.py); restarts are real
            LIBVIRT_HOST: {"libvirt_hooks_restart_command":
                           f"/usr/bin/python3 {shlex.quote(str(REPO / 'tests' / 'lab' / 'libvirt' / 'labvirt.py'))} "
                           "restart"},
        }
        for name, host_vars in kvm_host_security_vars().items():
            extra_vars.setdefault(name, {}).update(host_vars)
        changes += ssh.write_if_changed(
            paths.inventory,
            render.inventory(lab, paths.ssh_config, paths.identity, paths.control_path_dir, extra_vars), 0o644)

        changes += ssh.write_if_changed(paths.plugin_inventory, plugin_inventory(lab, paths), 0o644)

        urls = sim_urls(ms)
        env = {
            "CLOUDSTACK_ENDPOINT": urls["api"],
            "CLOUDSTACK_KEY": args.api_key,
            "CLOUDSTACK_SECRET": args.secret_key,
            "CSLAB_CONTROL": urls["control"],
            "CSLAB_INVENTORY": str(paths.inventory),
            "CSLAB_PLUGIN_INVENTORY": str(paths.plugin_inventory),
            "CSLAB_SSH_CONFIG": str(paths.ssh_config),
        }
        if args.no_simulator:
            log("not starting the simulator (--no-simulator)")
        else:
            changes += ensure_simulator(paths, lab, topology, args.api_key, args.secret_key, args.timeout)
            if web is not None:
                changes += ensure_daemon(paths.web_pidfile, web_command(paths, web), "hosts.web")
            changes += ensure_daemon(paths.watch_pidfile, watch_command(paths, topology), "labctl.py")
        changes += ssh.write_if_changed(paths.env, render.env_file(env), 0o644)

    log(f"up: {len(lab.machines)} machines, {changes} change(s), {time.monotonic() - t0:.2f}s")
    log(f"  source {paths.env}; inventory {paths.inventory}; ssh -F {paths.ssh_config} <name>")
    return 0


def plugin_inventory(lab: model.Lab, paths: Paths) -> str:
    """The config of the inventory plugin csops.cloudstack.cloudstack for the lab: hosts with the lab key, system
    VMs and routers with the hosts' id_rsa.cloud, the lab's known_hosts; what runs on API-only hosts (no
    namespace, nothing to reach) or is not running left out."""
    args = ("-o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=no -o GlobalKnownHostsFile=/dev/null "
            f"-o UserKnownHostsFile={paths.known_hosts} -o BatchMode=yes -o ConnectTimeout=10")
    reachable = "[%s]" % ", ".join(f"'{m.name}'" for m in sorted(lab.kvm_hosts, key=lambda m: m.name))
    config = {
        "plugin": "csops.cloudstack.cloudstack",
        "kinds": ["hosts", "systemvms", "routers"],
        "host_ssh_private_key_file": str(paths.identity),
        "host_ssh_common_args": args,
        "systemvm_ssh_private_key_file": str(vms.cloud_key(paths.state)),
        "systemvm_ssh_common_args": args,
        "exclude_filters": [
            f"cloudstack.kind == 'host' and cloudstack.name not in {reachable}",
            f"cloudstack.kind != 'host' and cloudstack.host not in {reachable}",
            "cloudstack.kind != 'host' and cloudstack.state != 'Running'",
        ],
        "compose": {"ansible_python_interpreter": "'/usr/bin/python3'"},
    }
    return render.HEADER + yaml.safe_dump(config, sort_keys=False, default_flow_style=False, width=1000)


def web_ifname(vm: model.Machine) -> str:
    return model.ifname("csl-w-", vm.name)


def start_machine(paths: Paths, m: model.Machine) -> int:
    """Files, mounts and sshd of one machine (see hosts/vms.py)."""
    changes = vms.prepare(paths.state, m)
    return changes + ssh.ensure_sshd(m, paths.state, paths.authorized_keys,
                                     extra_keys=tuple(vms.extra_authorized_keys(paths.state, m)),
                                     mounts=tuple(vms.mounts(paths.state, m)))


def daemon_pid(pidfile: Path, marker: str) -> int | None:
    pid = proc.read_pid(pidfile)
    return pid if proc.alive(pid) and marker in proc.cmdline(pid) else None


def ensure_daemon(pidfile: Path, cmd: list[str], marker: str) -> int:
    """A lab helper process (its own session, output in .state/logs), unless it already runs."""
    if daemon_pid(pidfile, marker):
        return 0
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    log_path = pidfile.parent.parent / "logs" / (pidfile.stem + ".log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as logf:
        child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                 start_new_session=True, cwd=str(REPO))
    pidfile.write_text(f"{child.pid}\n")
    return 1


def web_command(paths: Paths, web: model.Machine) -> list[str]:
    paths.diag_www.mkdir(parents=True, exist_ok=True)
    return [shutil.which("ip") or "ip", "netns", "exec", web.namespace, "env", f"PYTHONPATH={LAB_DIR}",
            "PYTHONUNBUFFERED=1", python_for_simulator(), "-m", "hosts.web", "--root", str(paths.diag_www),
            "--down-flag", str(paths.diag_down), "--address", vms.SSVM_WEB_ADDRESS,
            "--port", str(vms.SSVM_WEB_PORT)]


def watch_command(paths: Paths, topology: Path) -> list[str]:
    return [python_for_simulator(), str(Path(__file__).resolve()), "--state-dir", str(paths.state),
            "--topology", str(topology), "watch"]


# --- replacement system VMs and routers ---------------------------------------------------------------


def sim_state(lab: model.Lab) -> dict | None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = sim_urls(management_server(lab))["control"] + "/state"
    try:
        with opener.open(url, timeout=5) as resp:
            return json.loads(resp.read().decode())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def new_vms(lab: model.Lab, state: dict) -> list[model.Machine]:
    """System VMs and routers the simulator runs on a namespaced KVM host that the topology does not list
    (replacements CloudStack created), as lab machines named `csl-<name>`."""
    known = {m.name for m in lab.machines}
    hosts = {h["id"]: h["name"] for h in (state.get("hosts") or {}).values()}
    kvm = {m.name for m in lab.kvm_hosts}
    out = []
    for section, kind in (("systemvms", "systemvm"), ("routers", "router")):
        for vm in (state.get(section) or {}).values():
            host = hosts.get(vm.get("hostid"))
            if vm["name"] in known or host not in kvm or vm.get("state") not in ("Starting", "Running"):
                continue
            if not vm.get("linklocalip"):
                continue
            vmtype = vm.get("systemvmtype") if kind == "systemvm" else "domainrouter"
            out.append(model.Machine(name=vm["name"], kind=kind, namespace=f"csl-{vm['name']}",
                                     address=vm["linklocalip"], prefixlen=model.LINK_LOCAL_NET.prefixlen,
                                     port=model.SYSTEMVM_SSH_PORT, parent=host, vmtype=vmtype))
    return out


def attach_vm(paths: Paths, lab: model.Lab, vm: model.Machine) -> int:
    """A namespace with sshd on 3922 behind its KVM host's cloud0, like the topology's VMs get at `up`."""
    host = lab.by_name(vm.parent)
    changes = net.ensure_namespace(vm.namespace)
    changes += net.ensure_veth(host.namespace, vm.outer_ifname, model.CLOUD0, vm.namespace, vm.cidr)
    changes += net.write_netns_etc(vm.namespace, render.netns_hosts(lab, vm))
    changes += start_machine(paths, vm)
    return changes


def cmd_watch(args, paths: Paths) -> int:
    """Give every replacement system VM / router on a lab KVM host its namespace, as soon as it exists."""
    lab = model.load(Path(args.topology).resolve())
    done: set[str] = set()
    while True:
        state = sim_state(lab)
        for vm in new_vms(lab, state or {}):
            if vm.name in done and net.namespace_ok(vm.namespace):
                continue
            try:
                with locked(paths):
                    attach_vm(paths, lab, vm)
                done.add(vm.name)
                log(f"watch: {vm.name} on {vm.parent}: namespace {vm.namespace}, sshd {vm.address}:{vm.port}")
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                log(f"watch: {vm.name}: {exc}")
        time.sleep(args.interval)


def kvm_host_security_vars() -> dict[str, dict]:
    """Host vars of the kvm_host_security role: each KVM host's lab files (never the machine's /etc/pki or
    /etc/cloudstack), its libvirtd and stand-in agent restarts (real, tests/lab/libvirt/labvirt.py), and the
    other KVM host as the TLS client that verifies it."""
    script = f"/usr/bin/python3 {shlex.quote(str(LAB_DIR / 'libvirt' / 'labvirt.py'))}"
    names = sorted(labvirt.KVM_HOSTS)
    out = {}
    for index, name in enumerate(names):
        files = labvirt.host_paths(name)
        out[name] = {
            "kvm_host_security_agent_dir": files["agent_dir"],
            "kvm_host_security_pki_dir": files["pki_dir"],
            "kvm_host_security_libvirtd_conf": files["libvirtd_conf"],
            "kvm_host_security_libvirtd_restart_command": f"{script} restart --host {name}",
            "kvm_host_security_agent_restart_command": f"{script} agent-restart --host {name}",
            "kvm_host_security_verify_client": names[(index + 1) % len(names)],
        }
    return out


def close_ssh_masters(paths: Paths, record: dict) -> int:
    """Ansible ControlPersist masters (and any other ssh client) that use the lab's config or sockets."""
    changed = 0
    cp_dirs = {paths.control_path_dir}
    if record.get("control_path_dir"):
        cp_dirs.add(Path(record["control_path_dir"]))
    for d in cp_dirs:
        if not d.is_dir():
            continue
        for sock in d.iterdir():
            if sock.is_socket():
                proc.run(["ssh", "-F", "/dev/null", "-O", "exit", "-o", f"ControlPath={sock}", "127.0.0.1"],
                         check=False, timeout=5)
                changed += 1
    markers = [str(paths.ssh_config), str(paths.state)] + [str(d) for d in cp_dirs]
    pids = [p for p in proc.all_pids() if proc.comm(p) == "ssh" and any(mk in proc.cmdline(p) for mk in markers)]
    changed += len(proc.stop(pids))
    for d in cp_dirs:
        shutil.rmtree(d, ignore_errors=True)
    return changed


def lab_processes(paths: Paths) -> list[int]:
    """Listeners the lab started, found by their command line (also when their namespace is gone)."""
    state = str(paths.state)
    pids = []
    for p in proc.all_pids():
        c = proc.cmdline(p)
        if state in c and (proc.comm(p) == "sshd" or "cssim" in c or "hosts.web" in c
                           or ("labctl.py" in c and c.endswith(" watch"))):
            pids.append(p)
    return pids


def _foreign_inodes() -> set[int]:
    """Network namespaces that are certainly not the lab's: the root one and other named ones."""
    foreign = {proc.pid_netns_inode(1), proc.pid_netns_inode(os.getpid())}
    with contextlib.suppress(FileNotFoundError):
        foreign |= {proc.netns_inode(n) for n in os.listdir(proc.NETNS_DIR) if not n.startswith("csl-")}
    return foreign - {None}


def _pids_in(inodes: set[int]) -> list[int]:
    """sshd and simulator processes in the given network namespaces.

    Limited to what the lab starts there: a namespace inode could in principle be reused by someone else's
    namespace once the lab's is gone."""
    inodes = inodes - _foreign_inodes()
    if not inodes:
        return []
    return [p for p in proc.all_pids()
            if proc.pid_netns_inode(p) in inodes and (proc.comm(p) == "sshd" or "cssim" in proc.cmdline(p))]


def orphans(record: dict, namespaces: list[str]) -> list[int]:
    """Processes in a lab network namespace that lost its name (deleted while they ran)."""
    current = {proc.netns_inode(ns) for ns in namespaces}
    return _pids_in(set(record.get("netns_inodes", [])) - current)


def recorded_namespace_pids(record: dict) -> list[int]:
    """Processes in any namespace the last `up` made, named or not."""
    return _pids_in(set(record.get("netns_inodes", [])))


def cmd_down(args, paths: Paths) -> int:
    preflight()
    t0 = time.monotonic()
    with locked(paths):
        record = load_record(paths)
        try:
            lab = model.load(Path(args.topology).resolve())
        except (OSError, model.TopologyError) as exc:
            log(f"warning: cannot read topology ({exc}); cleaning up from the record only")
            lab = model.Lab(machines=[])
        namespaces = set(record.get("namespaces", [])) | set(lab.namespaces) | set(net.existing_lab_namespaces())
        root_links = set(record.get("root_links", [])) | {model.ROOT_BRIDGE} | {m.outer_ifname for m in lab.hosts}

        changes = close_ssh_masters(paths, record)
        for pidfile, marker in ((paths.watch_pidfile, "labctl.py"), (paths.web_pidfile, "hosts.web")):
            pid = daemon_pid(pidfile, marker)
            if pid:
                changes += len(proc.stop([pid]))
            with contextlib.suppress(FileNotFoundError):
                pidfile.unlink()
        changes += stop_simulator(paths)
        for m in lab.machines:
            changes += ssh.stop_sshd(ssh.SshdPaths(paths.state, m))
        changes += len(proc.stop(lab_processes(paths)))
        for ns in sorted(namespaces):
            changes += len(proc.stop(proc.namespace_pids(ns)))
        changes += len(proc.stop(recorded_namespace_pids(record)))

        # Root ends of the veths first (their peers go with them), then bridges and namespaces.
        for name in sorted(set(net.root_lab_links()) | root_links):
            if name != model.ROOT_BRIDGE:
                changes += net.delete_root_link(name)
        changes += net.delete_root_link(model.ROOT_BRIDGE)
        for ns in sorted(namespaces):
            changes += net.delete_namespace(ns)
            changes += net.remove_netns_etc(ns)
        changes += net.remove_guard_route()
        changes += vms.remove_root_ssh_mountpoint(record)

        for f in (paths.env, paths.inventory, paths.plugin_inventory, paths.sim_pidfile, paths.ms_script):
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
                changes += 1
        if not args.keep_sim_state and paths.sim_dir.exists():
            shutil.rmtree(paths.sim_dir, ignore_errors=True)
            changes += 1
        with contextlib.suppress(FileNotFoundError):
            paths.record.unlink()

    left = leftovers(paths, namespaces)
    if left:
        log("down: NOT clean: " + "; ".join(left))
        return 1
    log(f"down: {changes} change(s), {time.monotonic() - t0:.2f}s")
    return 0


def leftovers(paths: Paths, namespaces: set[str]) -> list[str]:
    left = []
    ns_left = [ns for ns in sorted(namespaces) if (proc.NETNS_DIR / ns).exists()]
    if ns_left:
        left.append("namespaces " + ", ".join(ns_left))
    links = net.root_lab_links()
    if links:
        left.append("links " + ", ".join(links))
    if net.guard_route_present():
        left.append("guard route")
    procs = lab_processes(paths)
    if procs:
        left.append("processes " + ", ".join(map(str, procs)))
    return left


def cmd_status(args, paths: Paths) -> int:
    try:
        lab = model.load(Path(args.topology).resolve())
    except (OSError, model.TopologyError) as exc:
        print(f"topology: {exc}")
        return 1
    ok = True
    root = net.links(None)

    def line(what: str, good: bool, detail: str = "") -> None:
        nonlocal ok
        ok = ok and good
        print(f"  {'up  ' if good else 'DOWN'}  {what:<34} {detail}")

    print("network")
    line(f"guard route unreachable {model.LAB_NET}", net.guard_route_present(), f"metric {model.GUARD_METRIC}")
    br = root.get(model.ROOT_BRIDGE)
    line(f"bridge {model.ROOT_BRIDGE}", br is not None and model.ROOT_ADDR in net._inet(br), model.ROOT_ADDR)
    print("machines")
    for m in lab.machines:
        ns_ok = net.namespace_ok(m.namespace)
        link_ok = ns_ok and m.cidr in net._inet(net.links(m.namespace).get(model.NS_IFNAME) or {})
        pid = ssh.sshd_pid(m, ssh.SshdPaths(paths.state, m)) if ns_ok else None
        detail = (f"ns {m.namespace} {'ok' if ns_ok else 'missing'}, {m.cidr} {'ok' if link_ok else 'missing'}, "
                  f"sshd :{m.port} {'pid ' + str(pid) if pid else 'not running'}")
        where = f" on {m.parent}" if m.is_vm else ""
        line(f"{m.name} ({m.kind}{where})", ns_ok and link_ok and bool(pid), detail)
    print("simulator")
    try:
        ms = management_server(lab)
        pid = sim_pid(paths, ms)
        urls = sim_urls(ms)
        answering = bool(pid) and sim_answers(urls["mark"])
        if not pid and load_record(paths).get("simulator") is False:
            print(f"  skip  {'cssim':<34} not started (up --no-simulator)")
        else:
            line("cssim", answering, f"{urls['api']} " + (f"pid {pid}" if pid else "not running"))
    except model.TopologyError as exc:
        line("cssim", False, str(exc))
    print("files")
    for f in (paths.env, paths.inventory, paths.ssh_config, paths.ms_script):
        line(str(f.relative_to(REPO) if f.is_relative_to(REPO) else f), f.exists())
    print("lab is up" if ok else "lab is not (fully) up")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labctl.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--topology", default=str(LAB_DIR / "topology.yml"), help="default: %(default)s")
    parser.add_argument("--state-dir", default=str(LAB_DIR / ".state"), help="default: %(default)s")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build the lab (idempotent)")
    up.add_argument("--no-simulator", action="store_true", help="hosts only, do not start cssim")
    up.add_argument("--api-key", default=os.environ.get("CSLAB_API_KEY", DEFAULT_API_KEY))
    up.add_argument("--secret-key", default=os.environ.get("CSLAB_SECRET_KEY", DEFAULT_SECRET_KEY))
    up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the simulator")
    down = sub.add_parser("down", help="tear the lab down (idempotent)")
    down.add_argument("--keep-sim-state", action="store_true", help="keep the simulator's state directory")
    sub.add_parser("status", help="show what is up; exit 0 only when everything is")
    watch = sub.add_parser("watch", help="(run by up) namespaces for replacement system VMs and routers")
    watch.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    paths = Paths(Path(args.state_dir).resolve())
    handlers = {"up": cmd_up, "down": cmd_down, "status": cmd_status, "watch": cmd_watch}
    try:
        return handlers[args.command](args, paths)
    except (RuntimeError, model.TopologyError, subprocess.TimeoutExpired) as exc:
        print(f"labctl {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
