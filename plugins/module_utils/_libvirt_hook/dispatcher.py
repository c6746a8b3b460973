# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The qemu hook dispatcher this collection installs at ``/etc/libvirt/hooks/qemu``.

The dispatcher is a bash script, not Python: libvirt runs it on every guest prepare, start, stop, release,
migration, restore, reconnect and attach, and Python's start-up alone (13-19 ms) costs more than the
whole budget of this hot path. Its settings are baked in when it is rendered, so there is nothing to parse
at run time.

``render()`` produces the file text in one pass over the template, every value quoted for the place it goes
(shell words for the assignments, plain text for the header comments), from the same constants the Python
rules use (the valid actions, the marker). ``settings_of()`` reads the settings back from an installed file's
header, so modules can compare and report without running anything.
"""

from __future__ import annotations

import re
import shlex

from .rules import MARKER, MARKER_RE, VALID_ACTIONS, HookInputError, describe
_SETTING_RE = re.compile(r"^# setting (\w+)=(.*)$", re.M)
SETTINGS = ("custom_dir", "log_path", "timeout", "grace_period")
# bash arithmetic is 64-bit and the helper counts in 1/100 s; a day is far beyond any sane hook timeout.
MAX_SECONDS = 86400
# Up to this size the domain XML goes to each script through a here-string, which bash 5.1+ puts in a pipe;
# beyond it bash would need a temporary file, so the dispatcher feeds a pipe from a process substitution.
HERE_STRING_MAX = 65000
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
# Path characters that survive a comment line and a shell word: printable, no control characters.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")

_TEMPLATE = r"""#!/bin/bash -p
@MARKER@
# Installed by the csops.cloudstack collection (module csops.cloudstack.libvirt_hook). Do not edit: the
# module rewrites this file; change the settings below through its options.
# setting custom_dir=@CUSTOM_DIR_TEXT@
# setting log_path=@LOG_PATH_TEXT@
# setting timeout=@TIMEOUT@
# setting grace_period=@GRACE@
#
# libvirt runs this file as `qemu DOMAIN ACTION SUB-OP EXTRA` with the domain XML on stdin. For a valid
# ACTION it runs, one after another, the files in the custom directory named ACTION_NAME or all_NAME,
# ordered by NAME (the text after the first underscore; equal NAMEs by the whole file name, byte order).
# Each gets the same four arguments and the domain XML on stdin. A file that is not executable, not a
# regular file, or neither a #! script nor an ELF binary is logged and skipped. A script still running after
# the timeout gets SIGTERM (with its process group), and its process group SIGKILL after the grace period.
# Each script is logged when it starts, and when it ends as one record: its output (stdout and stderr),
# then one line with its exit status and duration, written to the log in a single write so that records
# of concurrent events never mix. This dispatcher never writes to stdout (libvirt would read that as new
# domain XML on migrate and restore) and always exits 0, so no script can stop libvirt or the scripts after
# it. Errors of the dispatcher itself go to the log.
#
# It sits on every guest start, stop and migration: it forks once per script, plus per event with scripts
# to run one helper that writes the log and keeps the timeout; no other program is started on the way of
# the scripts.

custom_dir=@CUSTOM_DIR@
log_path=@LOG_PATH@
timeout=@TIMEOUT@
grace=@GRACE@

(( $# == 4 )) || exit 0
LC_ALL=C
domain=$1 action=$2 subop=$3 extra=$4 event="$1 $2 $3 $4" nl=$'\n' cr=$'\r' soh=$'\1' stx=$'\2' etx=$'\3' eot=$'\4'
event=${event//[$nl$cr]/ }
{ exec >>"$log_path"; } 2>/dev/null || exec >/dev/null
exec 2>&1

# A log line: before the log writer starts, straight to the log; after, framed for the writer (NUL, \1,
# the line, NUL), which puts it after the output the last script left and writes both at once.
second=0 pre= post='\n'
line() {  # US LEVEL TEXT: sets text to the log line (US: microseconds since the epoch)
    if (( $1 / 1000000 != second )); then
        (( second = $1 / 1000000 ))
        printf -v stamp '%(%Y-%m-%d %H:%M:%S)T' "$second"
    fi
    printf -v text '%s.%03d qemu-hook[%d] %s %s: %s' "$stamp" $(( $1 / 1000 % 1000 )) "$$" "$2" "$event" "$3"
}
note() {  # LEVEL TEXT [END]: one log line; END is the time to log, else now
    line "${3:-${EPOCHREALTIME/.}}" "$1" "$2"
    printf "$pre%s$post" "$text"
}

case $action in
    @ACTIONS@) ;;
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

# One helper process per event with scripts to run writes the log and enforces the timeout.
#
# The log: it reads the scripts' output and the dispatcher's lines from one pipe, in the order they were
# written: a whole line (NUL \1 LINE NUL), or, for the frequent ones, only their data, which the helper
# formats (it has the plan too): script K of the plan starts (NUL \3 K NUL) or ended well (NUL \4 US K NUL,
# US its run time in microseconds), time-stamped when the helper reads them. Output accumulates until the
# line that follows it; then output and line (the output ended with a newline if it had none) go to the log
# in one write(2): printf for a single short line, else dd reading exactly the record's length (bash's own
# printf writes line by line). When the dispatcher is done (NUL \2 NUL) the helper answers on the ack pipe
# once all is written, so the log is complete when the hook returns. It reads on until EOF, when whatever
# the scripts left running has closed the pipe too, and writes what they printed in the meantime.
#
# The timeout: scripts run in the foreground, each in its own process group (set -m). While it waits for
# input, the helper also wakes at the earliest deadline and checks the dispatcher's children against their
# start times (from /proc, in clock ticks since boot, like /proc/uptime): it sends SIGTERM to the group of a
# script past the timeout, and SIGKILL to that group after the grace period, whether the script itself is
# still there or not (a child that ignores SIGTERM outlives it). It stops watching when the dispatcher is
# done and exits once no SIGKILL is pending. Nothing of this is on the path of a script that ends in time:
# the helper's code is a string here and is parsed by the helper process itself.
helper='
exec {ack}<&-
put() {
    if [[ $1 != *$nl?* ]] && (( ${#1} <= 4000 )); then
        printf "%s" "$1"
    elif (( ${#1} <= @HERE_STRING_MAX@ )); then
        dd bs="${#1}" count=1 iflag=fullblock status=none <<<"${1%?}"
    else
        printf "%s" "$1" | dd bs="${#1}" count=1 iflag=fullblock status=none
    fi
}
record() {  # SEG: a complete segment from the pipe
    case ${1:0:1} in
        "$soh") text=${1:1} ;;
        "$etx")
            name=${plan[${1:1}]##*/}
            line "${EPOCHREALTIME/.}" INFO "${name//[$nl$cr]/?} running" ;;
        "$eot")
            us=${1%% *} name=${plan[${1#* }]##*/}
            printf -v took "%d.%06ds" $(( ${us:1} / 1000000 )) $(( ${us:1} % 1000000 ))
            line "${EPOCHREALTIME/.}" INFO "${name//[$nl$cr]/?} exit=0 time=$took" ;;
        *) text= ;;
    esac
    if [[ -n $text ]]; then
        [[ -z $out || $out == *$nl ]] || out+=$nl
        put "$out$text$nl"
        out=
    elif [[ $1 == "$stx" ]]; then
        [[ -z $out ]] || { [[ $out == *$nl ]] || out+=$nl; put "$out"; out=; }
        printf x >&"$ack_w"
        exec {ack_w}>&-
        watching=
    else
        out+=$1
    fi
}
start_of() {  # PID: sets start to its start time (clock ticks since boot), empty when it is gone
    local stat fields
    start=
    IFS= read -r -d "" stat <"/proc/$1/stat" 2>/dev/null
    # The command name is in parentheses and may hold anything, line breaks and ") " included: the fields
    # after the last ") " are fixed.
    [[ $stat == *") "* ]] || return
    fields=(${stat##*") "})
    start=${fields[19]}
}
children() {
    local file stat
    kids=()
    if [[ -r /proc/$$/task/$$/children ]]; then
        read -r -a kids <"/proc/$$/task/$$/children"
    elif [[ -d /proc/$$ ]]; then
        for file in /proc/[0-9]*/stat; do
            IFS= read -r -d "" stat <"$file" 2>/dev/null
            [[ $stat == *") "* ]] || continue
            stat=${stat##*") "}
            stat=${stat#* }
            [[ ${stat%% *} == "$$" ]] && kids+=("${file//[!0-9]/}")
        done
    else
        watching=
    fi
}
check() {  # signals what is due; sets wake, the tick of the next check
    (( wake = now + timeout * hz ))
    if [[ -n $watching ]]; then
        children
        for kid in "${kids[@]}"; do
            (( kid == BASHPID )) && continue
            [[ -z ${termed[$kid]} ]] || continue
            start_of "$kid"
            [[ -n $start ]] || continue
            (( due = start + timeout * hz + 1 ))  # start times are whole ticks: never early
            if (( now >= due )); then
                if kill -TERM -- "-$kid" 2>/dev/null; then group[$kid]=1; else kill -TERM "$kid" 2>/dev/null; fi
                termed[$kid]=$now
                (( due = now + grace * hz ))
            fi
            (( due < wake )) && wake=$due
        done
    fi
    for kid in "${!termed[@]}"; do
        (( due = termed[$kid] + grace * hz ))
        if (( now >= due )); then
            if [[ -n ${group[$kid]} ]]; then kill -KILL -- "-$kid" 2>/dev/null; else kill -KILL "$kid" 2>/dev/null; fi
            unset "termed[$kid]" "group[$kid]"
        elif (( due < wake )); then
            wake=$due
        fi
    done
}
hz=100 out= partial= watching=1 input=0 nap=
declare -A termed=() group=()
read -r now _ </proc/uptime
now=${now/.}
(( wake = now + timeout * hz, alarm = ${EPOCHREALTIME/.} + timeout * 1000000 ))
while :; do
    if [[ -n $watching || ${#termed[@]} != 0 ]]; then
        # Deadlines are in ticks since boot; the wait until the next one is timed on the cheaper wall clock.
        (( left = alarm - ${EPOCHREALTIME/.} ))
        if (( left <= 0 )); then
            read -r now _ </proc/uptime
            now=${now/.}
            (( now >= wake )) && check
            [[ -n $input || ${#termed[@]} != 0 ]] || break
            (( left = wake > now ? (wake - now) * 10000 : 10000, alarm = ${EPOCHREALTIME/.} + left ))
        fi
        printf -v left "%d.%06d" $(( left / 1000000 )) $(( left % 1000000 ))
        if [[ -z $input ]]; then
            read -r -t "$left" -u "$nap" _
            continue
        fi
        IFS= read -r -d "" -t "$left" -u "$input" seg
    else
        [[ -n $input ]] || break
        IFS= read -r -d "" -u "$input" seg
    fi
    case $? in
        0) record "$partial$seg"; partial= ;;
        1)  # EOF: write what is left; while a SIGKILL is pending, sleep on a pipe of its own
            out+=$partial$seg partial=
            [[ -z $out ]] || { [[ $out == *$nl ]] || out+=$nl; put "$out"; out=; }
            watching= input=
            [[ ${#termed[@]} != 0 ]] || break
            exec {nap}<<<""
            read -r -u "$nap" _
            exec {nap_w}>"/proc/self/fd/$nap" ;;
        *) partial+=$seg ;;
    esac
done
'

prepare() {  # before the first script: the domain XML, and the helper that logs and keeps the timeout
    [[ -t 0 ]] || xml=$(</dev/stdin)
    (( ${#xml} < @HERE_STRING_MAX@ )) || big=1
    exec {ack}<<<""
    read -r -u "$ack" _
    exec {ack_w}>"/proc/self/fd/$ack"
    if exec {to_log}> >(eval "$helper"); then
        helper_pid=$!
        exec >&"$to_log" 2>&1 {to_log}>&-
        pre='\0\1' post='\0'
    else
        note ERROR "cannot start the helper process; the scripts run without a timeout"
    fi
    exec {ack_w}>&-
    prepared=1
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
xml= prepared= big= helper_pid=
(( late = timeout * 1000000 - 20000 ))
for (( k = 0; k < ${#plan[@]}; k++ )); do
    script=${plan[k]} name=${plan[k]##*/}
    name=${name//[$nl$cr]/?}
    if [[ ! -f $script ]]; then
        note WARNING "$name is not a regular file; skipped"
        continue
    elif [[ ! -x $script ]]; then
        note WARNING "$name is not executable; skipped"
        continue
    fi
    # Like CloudStack's hook (and unlike bash's fallback), a file the kernel cannot execute is not run as a
    # shell script: it needs a #! line naming an interpreter, or to be an ELF binary.
    first=
    IFS= read -r -n 4 first <"$script"
    if [[ $first != '#!'*[![:space:]]* && $first != $'\x7f'ELF ]]; then
        [[ $first == '#!  ' ]] && IFS= read -r -n 256 first <"$script"
        if [[ $first != '#!'*[![:space:]]* ]]; then
            note ERROR "$name cannot be run: Exec format error (no #! line); skipped"
            continue
        fi
    fi
    [[ -n $prepared ]] || prepare
    start=${EPOCHREALTIME/.}
    if [[ -n $helper_pid ]]; then
        printf '\0\3%s\0' "$k"
    else
        note INFO "$name running" "$start"
    fi
    if [[ -z $big ]]; then
        { "$script" "$domain" "$action" "$subop" "$extra" 2>&1 <<<"$xml" {ack}<&-; } 2>/dev/null
    else
        { "$script" "$domain" "$action" "$subop" "$extra" 2>&1 {ack}<&- \
            < <(exec 2>/dev/null; printf '%s\n' "$xml"); } 2>/dev/null
    fi
    rc=$? end=${EPOCHREALTIME/.}
    (( us = end - start ))
    if (( rc == 0 && us < late )); then
        if [[ -n $helper_pid ]]; then
            printf '\0\4%s %s\0' "$us" "$k"
        else
            printf -v took '%d.%06ds' $(( us / 1000000 )) $(( us % 1000000 ))
            note INFO "$name exit=0 time=$took" "$end"
        fi
    else
        report "$name" "$rc" "$us" "$end"
    fi
done
if [[ -n $helper_pid ]]; then
    printf '\0\2\0'
    read -r -n 1 -u "$ack" _
fi
exit 0
"""


def _text(option, value):
    """``value`` when it can stand in a comment line and a shell word, else HookInputError."""
    if not isinstance(value, str) or not value.startswith("/"):
        raise HookInputError("%s: must be an absolute path, got %s" % (option, describe(value)))
    if _UNSAFE.search(value):
        raise HookInputError("%s: must not contain line breaks or other control characters, got %s"
                             % (option, describe(value)))
    try:
        value.encode("utf-8")
    except UnicodeError:
        raise HookInputError("%s: must be valid UTF-8, got %s" % (option, describe(value)))
    return value


def check_seconds(option, value, minimum):
    """``value`` as a whole number of seconds between ``minimum`` and MAX_SECONDS, else HookInputError."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_SECONDS:
        raise HookInputError("%s: must be a whole number of seconds from %d to %d, got %s"
                             % (option, minimum, MAX_SECONDS, describe(value)))
    return value


def check_settings(custom_dir, log_path, timeout, grace_period):
    """The four settings, validated (HookInputError names the first bad one)."""
    return (_text("custom_dir", custom_dir), _text("log_path", log_path),
            check_seconds("timeout", timeout, 1), check_seconds("grace_period", grace_period, 0))


def render(custom_dir, log_path, timeout, grace_period):
    """The dispatcher's text with these settings baked in; HookInputError for a value it cannot carry."""
    custom_dir, log_path, timeout, grace_period = check_settings(custom_dir, log_path, timeout, grace_period)
    values = {
        "MARKER": MARKER,
        "CUSTOM_DIR_TEXT": custom_dir,
        "LOG_PATH_TEXT": log_path,
        "CUSTOM_DIR": shlex.quote(custom_dir),
        "LOG_PATH": shlex.quote(log_path),
        "TIMEOUT": str(timeout),
        "GRACE": str(grace_period),
        "ACTIONS": "|".join(VALID_ACTIONS),
        "HERE_STRING_MAX": str(HERE_STRING_MAX),
    }
    # One pass: a value is never searched for placeholders again.
    return _PLACEHOLDER.sub(lambda found: values[found.group(1)], _TEMPLATE)


def settings_of(text):
    """Settings of an installed dispatcher, or None when ``text`` is not one of ours.

    Returns a dict with ``format`` and the keys of ``SETTINGS`` found in the header (timeouts as int).
    """
    head = text[:4096]
    found = MARKER_RE.search(head)
    if not found:
        return None
    result = {"format": int(found.group(1))}
    for key, value in _SETTING_RE.findall(head):
        if key in SETTINGS:
            result[key] = int(value) if key in ("timeout", "grace_period") and value.isdigit() else value
    return result
