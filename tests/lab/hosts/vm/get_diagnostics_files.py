"""The lab's /opt/cloud/bin/get_diagnostics_files.py, installed in every system VM / router namespace.

`get_diagnostics_files.py <entry>...` writes /root/diagnostics_files_<YYYYmmdd-HHMMSS>.zip (deflated) and prints
its path. Entries, as CloudStack's script takes them:

- iptables, ipaddr, iprule, iproute: the output of iptables-save, `ip address`, `ip rule list` and
  `ip route show table all` as <name>.log (written in the working directory, added, then deleted);
- [NAME]: the output of /opt/cloud/bin/NAME (lower-cased) as name.log, or "Unable to generate command for
  NAME, perhaps missing file" when there is no such script;
- any other entry is a path: added under its base name when it is a file, skipped when it does not exist.

fileinfo.txt lists what was added (the .log names and the paths); a path that could not be read is listed
with "File Not Found!!" appended. CSLAB_DIAG_ZIP_DIR moves the zip elsewhere than /root (for running the
script outside a lab VM).
"""

import os
import re
import shlex
import subprocess
import sys
import time
import zipfile

COMMANDS = {"iptables": "iptables-save", "ipaddr": "ip address", "iprule": "ip rule list",
            "iproute": "ip route show table all"}
SCRIPTS = "/opt/cloud/bin"


def run_to_log(name, command):
    log = name + ".log"
    try:
        proc = subprocess.run(shlex.split(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        data = proc.stdout if proc.returncode == 0 else proc.stderr
    except OSError as exc:
        data = ("%s: %s\n" % (command, exc)).encode()
    with open(log, "wb") as fh:
        fh.write(data)
    return log


def script_log(name):
    path = os.path.join(SCRIPTS, name)
    if os.path.isfile(path):
        return run_to_log(name, path)
    log = name + ".log"
    with open(log, "w") as fh:
        fh.write("Unable to generate command for %s, perhaps missing file\n" % name)
    return log


def main(entries):
    zip_dir = os.environ.get("CSLAB_DIAG_ZIP_DIR", "/root")
    zip_path = os.path.join(zip_dir, "diagnostics_files_%s.zip" % time.strftime("%Y%m%d-%H%M%S"))
    added, failed, temporary = [], [], []
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        try:
            for entry in entries:
                if entry.startswith("["):
                    path = script_log(re.sub(r"\W+", "", entry).lower())
                    temporary.append(path)
                elif entry in COMMANDS:
                    path = run_to_log(entry, COMMANDS[entry])
                    temporary.append(path)
                else:
                    path = entry
                if not os.path.isfile(path):
                    continue
                try:
                    zf.write(path, os.path.basename(path))
                    added.append(path)
                except OSError:
                    failed.append(path)
            manifest = "".join(p + "\n" for p in added) + "".join(p + "File Not Found!!\n" for p in failed)
            with open("fileinfo.txt", "w") as fh:
                fh.write(manifest)
            temporary.append("fileinfo.txt")
            zf.write("fileinfo.txt", "fileinfo.txt")
        finally:
            for path in temporary:
                if os.path.exists(path):
                    os.remove(path)
    print(zip_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
