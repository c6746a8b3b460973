#!/usr/bin/env bash
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Runs the molecule scenarios of extensions/molecule/ (all of them, or the ones named) against the lab, each as
# `molecule test -s <scenario>`: syntax, prepare, converge, idempotence, verify, cleanup. Every scenario runs even
# after a failure; the exit status is non-zero when one failed. Needs `make lab-up` first.
#
#   tests/molecule/run.sh [scenario ...]
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
state=$repo/tests/lab/.state
venv_bin=$repo/.venv/bin

if [ ! -f "$state/env" ]; then
    echo "molecule: the lab is not up (tests/lab/.state/env is missing): run make lab-up" >&2
    exit 1
fi
# shellcheck disable=SC1091  # written by tests/lab/labctl.py up
source "$state/env"

# The lab's addresses must stay on its bridge: when the lab is down they would follow the default route.
api_host=${CLOUDSTACK_ENDPOINT#*//}
api_host=${api_host%%[:/]*}
if ! ip route get "$api_host" 2>/dev/null | grep -q ' dev cslbr0 '; then
    echo "molecule: the lab is not up ($api_host is not routed through cslbr0): run make lab-up" >&2
    exit 1
fi

if [ ! -x "$venv_bin/molecule" ]; then
    echo "molecule: not installed in $repo/.venv: run make setup (tests/requirements.txt lists it)" >&2
    exit 1
fi

export PATH=$venv_bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=$repo/.build/collections
export MOLECULE_INVENTORY=$CSLAB_INVENTORY
export ANSIBLE_NOCOLOR=1 NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

cd "$repo" || exit 1
if [ $# -gt 0 ]; then
    scenarios=("$@")
else
    scenarios=()
    for file in extensions/molecule/*/molecule.yml; do
        scenarios+=("$(basename "$(dirname "$file")")")
    done
fi

failed=()
for scenario in "${scenarios[@]}"; do
    echo "=== molecule test -s $scenario"
    start=$SECONDS
    if molecule test -s "$scenario"; then
        echo "=== $scenario: passed in $((SECONDS - start)) s"
    else
        echo "=== $scenario: FAILED after $((SECONDS - start)) s"
        failed+=("$scenario")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "molecule: ${#failed[@]} of ${#scenarios[@]} scenarios failed: ${failed[*]}"
    exit 1
fi
echo "molecule: all ${#scenarios[@]} scenarios passed: ${scenarios[*]}"
