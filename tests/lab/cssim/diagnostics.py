"""runDiagnostics and getDiagnosticsData as CloudStack's DiagnosticsServiceImpl does them (no command registered here).

Validation (inside the job, as in the management server): the target must be a ConsoleProxy, DomainRouter or
SecondaryStorageVm with a host; the type one of ping/traceroute/arping (case-insensitive); ``params`` must match
``^[\\w\\-\\s.]+$``. The command ``"<type> <ip> [params]"`` then runs in the VM:

- a VM with a lab namespace (and the lab's ssh config in ``CSLAB_SSH_CONFIG``): for real, as CloudStack does it,
  through the VM's KVM host: ``ssh <host> ssh -p 3922 -i /root/.ssh/id_rsa.cloud root@<linklocalip>
  /opt/cloud/bin/<script> ...`` (the lab's own scripts, tests/lab/hosts/vm/), in a background thread so the
  simulator keeps answering; the job completes when the command is done (at most ``REAL_TIMEOUT`` seconds);
- any other VM: simulated output in the same format (and a zip with the same layout).

getDiagnosticsData stores the zip under ``<state>/secondary/<zone>/diagnostics_data/`` and links it as
``userdata/<uuid>.zip`` under the web root ``<state>/secondary/www``, served at ``CSLAB_DIAG_URL`` (in the lab: the
SSVM's address, by tests/lab/hosts/web.py) or, for a private simulator, by a file server thread started here on
127.0.0.1. The control switch ``url_down`` makes every download fail (connection reset) so a client's fallback
can be tested.
"""

import http.server
import io
import os
import re
import shlex
import socket
import struct
import subprocess
import threading
import time
import uuid
import zipfile
from pathlib import Path

from . import errors

TYPES = ("ping", "traceroute", "arping")
PARAMS_RE = re.compile(r"^[\w\-\s.]+$", re.ASCII)
DEFAULTS_SETTING = {"domainrouter": "diagnostics.data.router.defaults",
                    "consoleproxy": "diagnostics.data.systemvm.defaults",
                    "secondarystoragevm": "diagnostics.data.systemvm.defaults"}
COMMAND_ENTRIES = {"iptables": "iptables-save", "ipaddr": "ip address", "iprule": "ip rule list",
                   "iproute": "ip route show table all"}
SCRIPTS = "/opt/cloud/bin"
HOST_KEY = "/root/.ssh/id_rsa.cloud"
REAL_TIMEOUT = 60.0      # CloudStack's link-local SSH timeout for diagnostics
RETRIEVAL_GRACE = 30.0   # added to the job's bound for getDiagnosticsData (plus the copy and cleanup)
NETNS_DIR = Path("/run/netns")


def fail(text):
    """A failed job: ApiAsyncJobDispatcher stores 530 for any exception that is not a ServerApiException."""
    return errors.ApiError(errors.INTERNAL_ERROR, text, errors.CS_CLOUD_RUNTIME)


# ----- targets --------------------------------------------------------------------------------------------


def find_target(ctx, target_id):
    """(vmtype, vm) of a system VM or router; vmtype is secondarystoragevm, consoleproxy or domainrouter."""
    vm = ctx.world.get("systemvm", target_id)
    if vm is not None:
        return vm["systemvmtype"], vm
    vm = ctx.world.get("router", target_id)
    if vm is not None:
        return "domainrouter", vm
    return None, None


def check_target_param(ctx, target_id):
    """A uuid that names no VM at all is a 431 before any job, as for every uuid parameter."""
    vmtype, _vm = find_target(ctx, target_id)
    if vmtype is None:
        raise errors.param_error(
            "Unable to execute API command %s due to invalid value. Invalid parameter targetid value=%s due to "
            "incorrect long value format, or entity does not exist or due to incorrect parameter annotation "
            "for the field in api cmd class." % (ctx.command.lower(), target_id))


def _running_target(ctx, job, missing_text):
    vmtype, vm = find_target(ctx, job["instanceid"])
    if vm is None:
        raise fail(missing_text % job["instanceid"])
    if not vm.get("hostid"):
        raise fail("Unable to find host for virtual machine instance: %s" % vm["name"])
    return vmtype, vm


def shell_command(cmd_type, ipaddress, params):
    """DiagnosticsServiceImpl.prepareShellCmd, after RunDiagnosticsCmd.getType()."""
    if cmd_type.lower() not in TYPES:
        raise fail("%s Is not a valid diagnostics command type. " % cmd_type)
    text = "%s %s" % (cmd_type.lower(), ipaddress)
    if params:
        if not PARAMS_RE.search(params):
            raise fail("Optional parameters contain unwanted characters: %s" % params)
        text += " " + params
    return text


def parse_answer(details):
    """DiagnosticsAnswer.getExecutionDetails: the script prints ``<stdout>&&``, ``<stderr>&&``, ``<code>``."""
    parts = details.split("&&")
    while parts and parts[-1] == "":  # Java's String.split drops trailing empty strings
        parts.pop()
    if len(parts) < 3:
        raise fail("Unsupported diagnostics command type supplied")
    return {"stdout": parts[0].strip(), "stderr": parts[1].strip(), "exitcode": parts[2].strip()}


# ----- the lab: is a VM reachable, and running commands in it ---------------------------------------------


def lab_ssh_config():
    path = os.environ.get("CSLAB_SSH_CONFIG")
    return path if path and os.path.exists(path) else None


def lab_reachable(ctx, vm):
    """The KVM host name to hop through when ``vm`` has a lab namespace (and the lab's ssh config is known)."""
    if not lab_ssh_config():
        return None
    ns = vm.get("lab_namespace")
    host = ctx.world.get("host", vm.get("hostid"))
    if not ns or not host or not host.get("lab_namespace") or not (NETNS_DIR / ns).exists():
        return None
    return host["name"]


def vm_command(host_name, linklocal, remote, timeout, binary=False):
    """Run ``remote`` (a shell command line) in a VM as CloudStack's router_proxy.sh does, from its host."""
    inner = ["ssh", "-p", "3922", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-i", HOST_KEY, "root@%s" % linklocal, remote]
    cmd = ["ssh", "-F", lab_ssh_config(), host_name, " ".join(shlex.quote(a) for a in inner)]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, check=False, text=not binary, errors=None if binary else "replace")


def _in_background(ctx, job, work, bound):
    """Run ``work()`` (returns a JSON-able result or raises ApiError) off the world lock; the job is due when it
    is done, at the latest ``bound`` seconds from now (then it fails, as a timed-out agent command would)."""
    sim = ctx.sim
    job["due"] = time.time() + bound
    jobid = job["jobid"]

    def run():
        try:
            outcome = {"result": work()}
        except errors.ApiError as exc:
            outcome = {"error": exc.errortext}
        except (OSError, subprocess.SubprocessError) as exc:
            outcome = {"error": "Command execution failed: %s" % exc}
        with sim.world.lock:
            current = sim.world.state["jobs"].get(jobid)
            if current is not None and current["status"] == 0:
                current["args"]["outcome"] = outcome
                current["due"] = min(current["due"], time.time())

    threading.Thread(target=run, name="cssim-diag-%s" % jobid[:8], daemon=True).start()


def _outcome(job, what):
    outcome = job["args"].get("outcome")
    if outcome is None:
        raise fail("Failed to execute %s for system vm %s: no answer from its host" % (what, job["instanceid"]))
    if "error" in outcome:
        raise fail(outcome["error"])
    return outcome["result"]


# ----- runDiagnostics -------------------------------------------------------------------------------------


def run_begin(ctx, job):
    args = job["args"]
    try:
        _vmtype, vm = _running_target(ctx, job, "Unable to find a system vm with id %s")
        command = shell_command(args["type"], args["ipaddress"], args.get("params"))
    except errors.ApiError as exc:
        args["outcome"] = {"error": exc.errortext}
        return
    host_name = lab_reachable(ctx, vm)
    if host_name is None:
        args["outcome"] = {"result": parse_answer(simulated_run(command))}
        return
    linklocal = vm["linklocalip"]

    def work():
        remote = "%s/diagnostics.py %s" % (SCRIPTS, command)
        res = vm_command(host_name, linklocal, remote, REAL_TIMEOUT)
        if res.returncode != 0 and "&&" not in res.stdout:
            raise fail("Command execution failed: %s" % (res.stderr.strip() or "exit %d" % res.returncode))
        return parse_answer(res.stdout)

    _in_background(ctx, job, work, REAL_TIMEOUT + 5)


def run_complete(ctx, job):
    return _outcome(job, "diagnostics command")


def simulated_run(command):
    """What the lab's diagnostics.py would print for a VM without a namespace: a healthy answer, or the
    failure ping/arping/traceroute give for an address that is not an IPv4 address."""
    argv = command.split()
    cmd_type, target = argv[0], argv[1]
    count = 4
    for flag in ("-c",):
        if flag in argv[2:] and argv.index(flag) + 1 < len(argv) and argv[argv.index(flag) + 1].isdigit():
            count = int(argv[argv.index(flag) + 1])
    if not re.match(r"^\d{1,3}(\.\d{1,3}){3}$", target):
        return "&&\n%s: %s: Name or service not known&&\n2\n" % (cmd_type, target)
    if cmd_type == "ping":
        lines = ["PING %s (%s) 56(84) bytes of data." % (target, target)]
        lines += ["64 bytes from %s: icmp_seq=%d ttl=64 time=0.0%d ms" % (target, i, 40 + i)
                  for i in range(1, count + 1)]
        lines += ["", "--- %s ping statistics ---" % target,
                  "%d packets transmitted, %d received, 0%% packet loss, time %dms"
                  % (count, count, 1000 * (count - 1)),
                  "rtt min/avg/max/mdev = 0.041/0.043/0.045/0.002 ms"]
    elif cmd_type == "arping":
        lines = ["ARPING %s" % target]
        lines += ["42 bytes from 1e:00:00:00:00:01 (%s): index=%d time=1.0%d msec" % (target, i, i)
                  for i in range(count)]
        lines += ["", "--- %s statistics ---" % target,
                  "%d packets transmitted, %d packets received,   0%% unanswered (0 extra)" % (count, count)]
    else:
        lines = ["traceroute to %s (%s), 20 hops max, 60 byte packets" % (target, target),
                 " 1  %s (%s)  0.050 ms  0.031 ms  0.029 ms" % (target, target)]
    return "%s&&\n&&\n0\n" % "\n".join(lines)


# ----- getDiagnosticsData ---------------------------------------------------------------------------------


def file_list(ctx, vmtype, files):
    """DiagnosticsFilesList: the given files, else the defaults setting of the VM's type."""
    if files:
        return list(files)
    value = ctx.setting(DEFAULTS_SETTING[vmtype]) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def secondary_root(ctx):
    return Path(ctx.sim.state_dir) / "secondary"


def www_root(ctx):
    return secondary_root(ctx) / "www"


def url_down_flag(state_dir):
    return Path(state_dir) / "secondary" / "url_down"


def data_begin(ctx, job):
    args = job["args"]
    try:
        vmtype, vm = _running_target(ctx, job, "Diagnostics command execution failed, "
                                               "Unable to find vm instance with id: %s")
        files = file_list(ctx, vmtype, args.get("files"))
        if not files:
            raise fail("Failed to generate diagnostics file list for retrieval.")
        zone = ctx.world.get("zone", vm["zoneid"])
        if not any(v["systemvmtype"] == "secondarystoragevm" and v["zoneid"] == vm["zoneid"]
                   for v in ctx.world.all("systemvm").values()):
            raise fail("No SSVM found in zone with ID: %s" % vm["zoneid"])
    except errors.ApiError as exc:
        args["outcome"] = {"error": exc.errortext}
        return
    store = secondary_root(ctx) / zone["name"] / "diagnostics_data"
    www = www_root(ctx)
    base = ensure_url_base(ctx)
    host_name = lab_reachable(ctx, vm)
    if host_name is None:
        zip_name = "diagnostics_files_%s.zip" % time.strftime("%Y%m%d-%H%M%S")
        store.mkdir(parents=True, exist_ok=True)
        (store / zip_name).write_bytes(simulated_zip(ctx, vm, files))
        args["outcome"] = {"result": {"url": publish(store / zip_name, www, base)}}
        return
    linklocal = vm["linklocalip"]
    timeout = float(ctx.setting("diagnostics.data.retrieval.timeout") or 1800)

    def work():
        return {"url": retrieve(host_name, linklocal, files, store, www, base, timeout)}

    _in_background(ctx, job, work, timeout + RETRIEVAL_GRACE)


def data_complete(ctx, job):
    return _outcome(job, "diagnostics data retrieval")


def retrieve(host_name, linklocal, files, store, www, base, timeout):
    """Zip in the VM, copy to secondary storage (through the host), delete in the VM, publish the URL."""
    res = vm_command(host_name, linklocal, "%s/get_diagnostics_files.py %s" % (SCRIPTS, " ".join(
        shlex.quote(f) for f in files)), timeout)
    zip_path = res.stdout.strip().splitlines()[-1].strip() if res.stdout.strip() else ""
    if res.returncode != 0 or not zip_path.startswith("/root/diagnostics_files_"):
        raise fail("Failed to generate diagnostics zip file in VM due to: %s"
                   % (res.stderr.strip() or res.stdout.strip() or "exit %d" % res.returncode))
    copy = vm_command(host_name, linklocal, "cat %s" % shlex.quote(zip_path), 120, binary=True)
    if copy.returncode != 0 or not copy.stdout:
        raise fail("Failed to copy %s to secondary storage due to: %s." % (
            zip_path, copy.stderr.decode(errors="replace").strip()))
    store.mkdir(parents=True, exist_ok=True)
    target = store / os.path.basename(zip_path)
    target.write_bytes(copy.stdout)
    vm_command(host_name, linklocal, "%s/cleanup.sh %s" % (SCRIPTS, shlex.quote(zip_path)), 60)
    return publish(target, www, base)


def publish(path, www, base):
    """SSVM extract URL: a link ``userdata/<uuid>.zip`` to the file on secondary storage."""
    userdata = Path(www) / "userdata"
    userdata.mkdir(parents=True, exist_ok=True)
    name = "%s.zip" % uuid.uuid4()
    os.symlink(os.path.relpath(path, userdata), userdata / name)
    return "%s/userdata/%s" % (base.rstrip("/"), name)


def simulated_zip(ctx, vm, files):
    """The layout the lab's get_diagnostics_files.py gives, with made-up content for a VM without namespace."""
    known = {
        "/etc/cloudstack-release": "Cloudstack Release %s %s\n" % (ctx.version, time.strftime("%a %b %d %Y")),
        "/etc/hosts": "127.0.0.1\tlocalhost\n%s\t%s\n" % (vm.get("linklocalip", ""), vm["name"]),
        "/etc/resolv.conf": "nameserver %s\n" % (vm.get("linklocalip") or "127.0.0.1"),
        "/var/log/cloud.log": "%s cloud: %s simulated (no lab namespace)\n" % (time.strftime("%c"), vm["name"]),
        "/var/log/daemon.log": "%s %s systemd[1]: Started cloud.service.\n" % (time.strftime("%b %d %T"), vm["name"]),
    }
    buf = io.BytesIO()
    found = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry in files:
            name = entry.strip("[]").lower() if entry.startswith("[") else entry
            if entry.startswith("[") or name in COMMAND_ENTRIES:
                log = "%s.log" % re.sub(r"\W+", "", name)
                if name in COMMAND_ENTRIES:
                    text = "# %s in %s (simulated)\n" % (COMMAND_ENTRIES[name], vm["name"])
                else:
                    text = "Unable to generate command for %s, perhaps missing file\n" % name
                zf.writestr(log, text)
                found.append(log)
            elif entry in known:
                zf.writestr(os.path.basename(entry), known[entry])
                found.append(entry)
        zf.writestr("fileinfo.txt", "".join(f + "\n" for f in found))
    return buf.getvalue()


# ----- the URL: where it is served, and the switch that makes it unreachable ------------------------------

_SERVERS = {}
_SERVERS_LOCK = threading.Lock()


def ensure_url_base(ctx):
    """``CSLAB_DIAG_URL`` in the lab; else a file server thread on 127.0.0.1 (one per simulator)."""
    base = os.environ.get("CSLAB_DIAG_URL")
    if base:
        return base
    state_dir = Path(ctx.sim.state_dir)
    with _SERVERS_LOCK:
        server = _SERVERS.get(str(state_dir))
        if server is None:
            server = make_server("127.0.0.1", 0, www_root(ctx), url_down_flag(state_dir))
            threading.Thread(target=server.serve_forever, name="cssim-diag-web", daemon=True).start()
            _SERVERS[str(state_dir)] = server
    return "http://127.0.0.1:%d" % server.server_address[1]


def make_server(host, port, root, down_flag):
    """A static file server for ``root`` that resets every connection while ``down_flag`` exists."""
    root = str(root)
    down_flag = Path(down_flag)
    Path(root).mkdir(parents=True, exist_ok=True)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=root, **kw)

        def list_directory(self, path):
            self.send_error(403, "No listing")
            return None

        def log_message(self, fmt, *args):  # quiet: the simulator's log is for API calls
            return

        def handle(self):
            if down_flag.exists():
                # unreachable: reset the connection without a byte (SO_LINGER 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            super().handle()

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

    return Server((host, port), Handler)


def control(sim, method, payload):
    """``GET /lab/diagnostics`` -> {url_down, url}; ``POST`` {"url_down": bool} switches the URL off/on."""
    flag = url_down_flag(sim.state_dir)
    if method == "POST":
        if not isinstance(payload, dict) or not isinstance(payload.get("url_down"), bool):
            raise ValueError('POST /lab/diagnostics takes {"url_down": true|false}')
        flag.parent.mkdir(parents=True, exist_ok=True)
        if payload["url_down"]:
            flag.write_text("down\n")
        elif flag.exists():
            flag.unlink()
    elif method != "GET":
        raise ValueError("GET or POST /lab/diagnostics")
    return {"url_down": flag.exists(), "url": os.environ.get("CSLAB_DIAG_URL")}
