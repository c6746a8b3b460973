# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The qemu hook dispatcher this collection installs at ``/etc/libvirt/hooks/qemu``.

The dispatcher is a bash script, not Python: libvirt runs it on every guest prepare, start, stop, release,
migration, restore, reconnect and attach, and Python's start-up alone (13-19 ms) costs more than the
whole budget of this hot path. The script forks once per custom script (plus one watchdog per event with
scripts to run), never execs a helper, and reads its settings from values baked in when it is rendered, so
there is nothing to parse at run time.

``render()`` produces the file text from the settings; ``settings_of()`` reads them back from an installed
file (the header lines), so modules can compare and report without running anything.
"""

from __future__ import annotations

import re
import shlex

FORMAT = 1
MARKER = "# csops.cloudstack qemu hook dispatcher, format %d" % FORMAT
_MARKER_RE = re.compile(r"^# csops\.cloudstack qemu hook dispatcher, format (\d+)$", re.M)
_SETTING_RE = re.compile(r"^# setting (\w+)=(.*)$", re.M)
SETTINGS = ("custom_dir", "log_path", "timeout", "grace_period")

_TEMPLATE = r"""#!/bin/bash -p
@MARKER@
# Installed by the csops.cloudstack collection (module csops.cloudstack.libvirt_hook). Do not edit: the
# module rewrites this file; change the settings below through its options.
# setting custom_dir=@CUSTOM_DIR_RAW@
# setting log_path=@LOG_PATH_RAW@
# setting timeout=@TIMEOUT@
# setting grace_period=@GRACE@
#
# libvirt runs this file as `qemu DOMAIN ACTION SUB-OP EXTRA` with the domain XML on stdin. For a valid
# ACTION it runs, one after another, the files in the custom directory named ACTION_NAME or all_NAME,
# ordered by NAME (the text after the first underscore; equal NAMEs by the whole file name, byte order).
# Each gets the same four arguments and the domain XML on stdin; its stdout and stderr are appended to
# the log. A file that is not executable (or not a regular file) is logged and skipped. A script still
# running after the timeout gets SIGTERM (with its process group), and SIGKILL after the grace period.
# Each script run is logged as one line with its exit status and duration. This dispatcher never writes
# to stdout (libvirt would read that as new domain XML on migrate and restore) and always exits 0, so
# no script can stop libvirt or the scripts after it.
#
# It sits on every guest start, stop and migration, so it uses bash builtins only: one fork per script,
# plus one watchdog per event with scripts to run, and no other program is started.

custom_dir=@CUSTOM_DIR@
log_path=@LOG_PATH@
timeout=@TIMEOUT@
grace=@GRACE@

(( $# == 4 )) || exit 0
LC_ALL=C
domain=$1 action=$2 subop=$3 extra=$4 event="$1 $2 $3 $4"
# From here on the output of the dispatcher and of its scripts goes to the log; bash's own messages (such as
# a "Terminated" line for a script the watchdog stopped) are dropped.
{ exec >>"$log_path"; } 2>/dev/null || exec >/dev/null
exec 2>/dev/null

second=0
note() {  # LEVEL TEXT [END]: one log line; END is the time (microseconds since the epoch) to log, else now
    local us=${3:-${EPOCHREALTIME/.}}
    if (( us / 1000000 != second )); then
        (( second = us / 1000000 ))
        printf -v stamp '%(%Y-%m-%d %H:%M:%S)T' "$second"
    fi
    printf '%s.%03d qemu-hook[%d] %s %s: %s\n' "$stamp" $(( us / 1000 % 1000 )) "$$" "$1" "$event" "$2"
}

case $action in
    prepare|start|started|stopped|release|migrate|restore|reconnect|attach) ;;
    *) note ERROR "invalid action '$action'; no custom scripts run"; exit 0 ;;
esac
[[ -d $custom_dir ]] || exit 0

# Both globs come back sorted (C locale), so one merge orders them by the text after the first underscore.
shopt -s nullglob
every=("$custom_dir"/all_*)
own=("$custom_dir"/"$action"_*)
(( ${#every[@]} + ${#own[@]} )) || exit 0
plan=()
i=0 j=0
while (( i < ${#every[@]} && j < ${#own[@]} )); do
    a=${every[i]##*/} b=${own[j]##*/}
    if [[ ${a#*_} < ${b#*_} || ( ${a#*_} == "${b#*_}" && $a < $b ) ]]; then
        plan+=("${every[i++]}")
    else
        plan+=("${own[j++]}")
    fi
done
plan+=("${every[@]:i}" "${own[@]:j}")

# The timeout: scripts run in the foreground, each in its own process group (set -m), and one watchdog
# in the background checks the dispatcher's children against their start times (from /proc, in clock
# ticks since boot, like /proc/uptime). It sleeps until the earliest deadline, sends SIGTERM to the group
# of a script past the timeout and SIGKILL after the grace period, and ends when the dispatcher does (EOF
# on a pipe only the dispatcher holds open). Nothing of this is on the path of a script that ends in time:
# the watchdog's code is a string here and is parsed by the watchdog process itself.
watchdog='
children() {
    local file stat
    kids=()
    if [[ -r /proc/$$/task/$$/children ]]; then
        read -r -a kids <"/proc/$$/task/$$/children"
    else
        for file in /proc/[0-9]*/stat; do
            read -r stat <"$file" || continue
            stat=${stat##*) }
            stat=${stat#* }
            [[ ${stat%% *} == "$$" ]] && kids+=("${file//[!0-9]/}")
        done
    fi
}
hz=100
declare -A termed=()
exec {alive_w}>&- 0</dev/null
read -r -t "$timeout" -u "$alive" _ && exit
(( $? > 128 )) || exit
while :; do
    read -r now _ </proc/uptime
    now=${now/.}
    (( wake = now + timeout * hz ))
    children
    for kid in "${kids[@]}"; do
        (( kid == BASHPID )) && continue
        read -r stat <"/proc/$kid/stat" || continue
        fields=(${stat##*) })
        kid+=:${fields[19]}
        if [[ -z ${termed[$kid]} ]]; then
            (( due = fields[19] + timeout * hz ))
            if (( now >= due )); then
                kill -TERM -- "-${kid%:*}" || kill -TERM "${kid%:*}"
                termed[$kid]=$now
                (( due = now + grace * hz ))
            fi
        else
            (( due = termed[$kid] + grace * hz ))
            if (( now >= due )); then
                kill -KILL -- "-${kid%:*}" || kill -KILL "${kid%:*}"
                (( due = now + 10 ))
            fi
        fi
        (( due < wake )) && wake=$due
    done
    (( wake = wake > now ? wake - now : 1 ))
    printf -v wake "%d.%02d" $(( wake / hz )) $(( wake % hz ))
    read -r -t "$wake" -u "$alive" _ && exit
    (( $? > 128 )) || exit
done
'

prepare() {  # before the first script: the domain XML, and the watchdog
    [[ -t 0 ]] || xml=$(</dev/stdin)
    exec {alive}<<<""
    read -r -u "$alive" _
    exec {alive_w}>"/proc/self/fd/$alive"
    eval "$watchdog" &
    watch=$!
    exec {alive}<&-
}

report() {  # NAME RC US END: the log line of a script that failed or ran into the timeout
    local took
    printf -v took '%d.%06ds' $(( $3 / 1000000 )) $(( $3 % 1000000 ))
    if (( $3 + 20000 >= timeout * 1000000 )); then
        if (( $2 == 137 )); then
            note ERROR "$1 exit=$2 time=$took killed after the timeout of ${timeout}s and ${grace}s grace" "$4"
        else
            note ERROR "$1 exit=$2 time=$took terminated after the timeout of ${timeout}s" "$4"
        fi
    else
        note ERROR "$1 exit=$2 time=$took failed" "$4"
    fi
}

set -m
xml= watch=
(( late = timeout * 1000000 - 20000 ))
for script in "${plan[@]}"; do
    if [[ ! -x $script || ! -f $script ]]; then
        if [[ ! -f $script ]]; then
            note WARNING "${script##*/} is not a regular file; skipped"
        else
            note WARNING "${script##*/} is not executable; skipped"
        fi
        continue
    fi
    [[ -n $watch ]] || prepare
    start=${EPOCHREALTIME/.}
    "$script" "$domain" "$action" "$subop" "$extra" <<<"$xml" 2>&1 {alive_w}>&-
    rc=$? end=${EPOCHREALTIME/.}
    (( us = end - start ))
    if (( rc == 0 && us < late )); then
        if (( end / 1000000 != second )); then
            (( second = end / 1000000 ))
            printf -v stamp '%(%Y-%m-%d %H:%M:%S)T' "$second"
        fi
        printf '%s.%03d qemu-hook[%d] INFO %s: %s exit=0 time=%d.%06ds\n' \
            "$stamp" $(( end / 1000 % 1000 )) "$$" "$event" "${script##*/}" $(( us / 1000000 )) $(( us % 1000000 ))
    else
        report "${script##*/}" "$rc" "$us" "$end"
    fi
done
exit 0
"""


class DispatcherSettingsError(ValueError):
    """A setting that cannot be baked into the dispatcher."""


def _check_path(option, value):
    if not isinstance(value, str) or not value.startswith("/"):
        raise DispatcherSettingsError("%s must be an absolute path, got %r" % (option, value))
    if any(c in value for c in "\n\r\0"):
        raise DispatcherSettingsError("%s must not contain line breaks or NUL characters" % option)
    return value


def _check_seconds(option, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DispatcherSettingsError("%s must be a whole number of seconds >= %d, got %r" % (option, minimum, value))
    return value


def render(custom_dir, log_path, timeout, grace_period):
    """The dispatcher's text with these settings baked in."""
    custom_dir = _check_path("custom_dir", custom_dir)
    log_path = _check_path("log_path", log_path)
    timeout = _check_seconds("timeout", timeout, 1)
    grace_period = _check_seconds("grace_period", grace_period, 0)
    text = _TEMPLATE
    for key, value in (
        ("@MARKER@", MARKER),
        ("@CUSTOM_DIR_RAW@", custom_dir),
        ("@LOG_PATH_RAW@", log_path),
        ("@CUSTOM_DIR@", shlex.quote(custom_dir)),
        ("@LOG_PATH@", shlex.quote(log_path)),
        ("@TIMEOUT@", str(timeout)),
        ("@GRACE@", str(grace_period)),
    ):
        text = text.replace(key, value)
    return text


def settings_of(text):
    """Settings of an installed dispatcher, or None when ``text`` is not one of ours.

    Returns a dict with ``format`` and the keys of ``SETTINGS`` (timeouts as int).
    """
    head = text[:4096]
    found = _MARKER_RE.search(head)
    if not found:
        return None
    result = {"format": int(found.group(1))}
    for key, value in _SETTING_RE.findall(head):
        if key in SETTINGS:
            result[key] = int(value) if key in ("timeout", "grace_period") and value.isdigit() else value
    return result
