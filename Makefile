# csops.cloudstack: developer and CI entry points (GNU make, run as root on Debian 12).
#
#   make setup        system packages (apt) and .venv with tests/requirements.txt; fast when already done
#   make lab-up       build the lab (namespaces, sshd, simulator) and write tests/lab/.state/{env,inventory.yml}
#   make lab-down     tear the lab down; safe to run any number of times
#   make lab-status   show what of the lab is up
#   make demo         setup + lab-up + playbooks/cloud_report.yml against the lab
#   make sanity       ansible-test sanity on a clean copy of the collection under .build/sanity
#   make lint         ansible-lint, offline, production profile (.ansible-lint)
#   make unit         pytest tests/unit and the lab's own tests
#   make integration  pytest tests/integration (needs `make lab-up`)
#   make compat-sanity  ansible-test sanity on ansible-core 2.17 and 2.21 (2.21 only where Python 3.12+ exists)
#   make compat-smoke   the integration smoke subset (tests/integration/smoke.txt) on 2.17 and 2.21 (needs lab-up)
#   make compat-core  every module, role and playbook loads on the venv's ansible-core (tests/compat/test_core.py)
#   make ee           ansible-builder create on the execution environment definition; the AWX credential type
#   make artefact     build the collection, install the tarball into a fresh path, run it on the lab (needs lab-up)
#   make runner       the upgrade playbook through ansible-runner with the AWX credential's environment (needs lab-up)
#   make campaign     the campaigns that need no lab (private simulators): the rolling maintenance reliability
#                     campaign's 20 rounds with random faults, and the bad-input campaign's quick subset
#   make molecule     the molecule scenarios of extensions/molecule/ against the lab (needs `make lab-up`)
#   make test         every stage: the off-lab stages beside lab-up + the lab stages, always lab-down (STAGES_* below)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

REPO        := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
VENV        := $(REPO)/.venv
PY          := $(VENV)/bin/python
BUILD       := $(REPO)/.build
LAB         := $(REPO)/tests/lab
STATE       := $(LAB)/.state
COLLECTIONS := $(BUILD)/collections
COLL_LINK   := $(COLLECTIONS)/ansible_collections/csops/cloudstack
SANITY_ROOT := $(BUILD)/sanity

# Interpreter the venv is made from, and the Python version ansible-test sanity targets.
PYTHON         ?= python3
SANITY_PYTHON  ?= 3.11
SANITY_ARGS    ?=
LABCTL_ARGS    ?=
PYTEST_ARGS    ?=

# Debian packages the project needs on a fresh machine (the lab: sshd, ip, unshare, the system VMs' network tools;
# the venv: python, gcc).
APT_PACKAGES := openssh-server openssh-client iproute2 util-linux hostname procps \
                python3 python3-venv python3-dev gcc make git ca-certificates \
                libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 \
                iputils-ping traceroute arping iptables

# Everything reaching out to the network is switched off for ansible-lint.
# ansible-lint finds the collection's own plugins through ANSIBLE_COLLECTIONS_PATH (the .build symlink).
LINT_ENV := ANSIBLE_LINT_NODEPS=1 ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1 ANSIBLE_LINT_OFFLINE=1 \
            ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) PATH=$(VENV)/bin:$$PATH

# Test directories for `make unit`: the collection's unit tests and the lab's own tests (those that exist).
UNIT_DIRS = $(wildcard tests/unit tests/lab/tests tests/lab/hosts/tests)

.PHONY: help setup apt venv collections lab-up lab-down lab-status demo sanity lint unit integration test clean \
        compat-venv compat-sanity compat-core compat-smoke sanity-core sanity-core-run smoke-core ee artefact runner \
        molecule campaign

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

# --- setup --------------------------------------------------------------------------------------------

setup: apt venv

# apt-get only when a package is missing: a warm `make setup` does not touch the network.
apt:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq; \
	  apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# A missing or broken .venv (say, made by an interpreter that is gone) is made anew.
venv:
	@if ! $(PY) -c '' >/dev/null 2>&1; then \
	  echo "setup: creating $(VENV)"; rm -f $(VENV)/.stamp-requirements; $(PYTHON) -m venv --clear $(VENV); \
	fi
	@$(MAKE) --no-print-directory -s $(VENV)/.stamp-requirements

# Re-installs only when tests/requirements.txt changed since the last install.
$(VENV)/.stamp-requirements: tests/requirements.txt
	@echo "setup: pip install -r tests/requirements.txt into $(VENV)"
	$(PY) -m pip install --disable-pip-version-check -q -r tests/requirements.txt
	touch $@

# .build/collections/ansible_collections/csops/cloudstack -> the repo, for ANSIBLE_COLLECTIONS_PATH.
collections:
	@mkdir -p $(dir $(COLL_LINK))
	@[ -L $(COLL_LINK) ] || ln -sfn ../../../.. $(COLL_LINK)

# --- lab ----------------------------------------------------------------------------------------------

lab-up: setup
	$(PY) tests/lab/labctl.py up $(LABCTL_ARGS)
	$(PY) tests/lab/libvirt/labvirt.py up

# Works without a finished setup too (falls back to the system python3 if it has PyYAML).
lab-down:
	@py=$(PY); [ -x "$$py" ] || py=python3; \
	"$$py" tests/lab/libvirt/labvirt.py down; \
	"$$py" tests/lab/labctl.py down

lab-status:
	@py=$(PY); [ -x "$$py" ] || py=python3; \
	"$$py" tests/lab/labctl.py status; \
	"$$py" tests/lab/libvirt/labvirt.py status

# The cloud report, then the system VM upgrade (4.19.0 -> 4.20.1) on the lab, then the report again.
DEMO_PLAYBOOK = source $(STATE)/env && ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ANSIBLE_CALLBACK_RESULT_FORMAT=yaml \
	$(VENV)/bin/ansible-playbook -i $(STATE)/inventory.yml

demo: setup lab-up collections
	$(DEMO_PLAYBOOK) playbooks/cloud_report.yml
	$(DEMO_PLAYBOOK) playbooks/upgrade_systemvms.yml -e @tests/lab/demo/upgrade-vars.yml
	$(DEMO_PLAYBOOK) playbooks/cloud_report.yml

# --- checks -------------------------------------------------------------------------------------------

# ansible-test wants the collection at .../ansible_collections/csops/cloudstack: test a copy of the files git
# knows about (tracked, and untracked but not ignored), in a git repository of its own so ansible-test lists
# its files with git and not the outer checkout's. ansible-test downloads get-pip.py from a host outside
# the package registries, so its cache is seeded with tests/sanity/get_pip_shim.py first.
# $(call sanity_run,ROOT,VENV-BIN,PYTHON-VERSION): the copy under ROOT/ansible_collections/csops/cloudstack and
# ansible-test sanity from VENV-BIN on it.
define sanity_run
	rm -rf $(1)
	mkdir -p $(1)/ansible_collections/csops/cloudstack
	git ls-files -z -co --exclude-standard | \
	  tar --null --no-recursion --ignore-failed-read -T - -cf - | \
	  tar -xf - -C $(1)/ansible_collections/csops/cloudstack
	git -C $(1)/ansible_collections/csops/cloudstack init -q   # else ansible-test finds the outer repo (.build/ ignored)
	@at=$$($(2)/python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))'); \
	pipver=$$(sed -n "s/^ *pip='\([0-9.]*\)',*$$/\1/p" $$at/_internal/python_requirements.py | head -n1); \
	[ -n "$$pipver" ] || { echo "sanity: cannot find ansible-test's pip version" >&2; exit 1; }; \
	mkdir -p ~/.ansible/test/cache; \
	cp tests/sanity/get_pip_shim.py ~/.ansible/test/cache/get_pip_$${pipver//./_}.py
	cd $(1)/ansible_collections/csops/cloudstack && \
	  PATH=$(2):$$PATH $(2)/ansible-test sanity --python $(3) --color no $(SANITY_ARGS)
endef

sanity: setup
	$(call sanity_run,$(SANITY_ROOT),$(VENV)/bin,$(SANITY_PYTHON))

# --- ansible-core matrix ------------------------------------------------------------------------------
# The venv runs the ansible-core of tests/requirements.txt (2.19). The other supported versions live in venvs
# of their own under .build/compat/ansible-<version>, each from tests/requirements-ansible-<version>.txt:
# 2.17 (the oldest meta/runtime.yml claims) and 2.21 (the current Ansible release). ansible-core 2.20 and
# later need Python 3.12 or newer on the controller: a machine without one says so in one line and skips 2.21.
COMPAT        := $(BUILD)/compat
CORE_VERSIONS ?= 2.17 2.21
CORE          ?= 2.17
# The controller Pythons each version supports (oldest newest).
CORE_PYTHONS_2.17 := 3.10 3.12
CORE_PYTHONS_2.21 := 3.12 3.14

# An interpreter for ansible-core $(1): $(PYTHON), else the newest fitting one under ~/.pyenv or on PATH;
# nothing when the machine has none.
core_python = $(shell for p in $(PYTHON) $$(ls -d $$HOME/.pyenv/versions/3.*/bin/python3 2>/dev/null | sort -V -r) \
    $$(command -v python3.14 python3.13 python3.12 python3.11 python3.10 2>/dev/null); do \
  "$$p" -c 'import sys, venv; lo, hi = (tuple(map(int, a.split("."))) for a in sys.argv[1:]); \
    sys.exit(not lo <= sys.version_info[:2] <= hi)' $(CORE_PYTHONS_$(1)) >/dev/null 2>&1 && { echo "$$p"; break; }; \
  done)
NO_PYTHON = compat: no Python $(firstword $(CORE_PYTHONS_$(CORE))) to $(lastword $(CORE_PYTHONS_$(CORE))) on this \
  machine for ansible-core $(CORE):

CORE_VENV   = $(COMPAT)/ansible-$(CORE)
CORE_PY     = $(call core_python,$(CORE))
SMOKE_TESTS = $(shell sed -e 's/[[:space:]]*\#.*//' -e '/^[[:space:]]*$$/d' tests/integration/smoke.txt)

# One venv per version; re-installed when its requirements changed. No interpreter: one line, exit 0.
compat-venv:
	@if [ -z "$(CORE_PY)" ]; then exit 0; fi; \
	if ! $(CORE_VENV)/bin/python -c '' >/dev/null 2>&1; then \
	  echo "compat: creating $(CORE_VENV) with $(CORE_PY)"; $(CORE_PY) -m venv --clear $(CORE_VENV); fi; \
	if [ ! -e $(CORE_VENV)/.stamp ] || [ -n "$$(find tests/requirements-ansible-$(CORE).txt \
	    tests/requirements-compat.txt -newer $(CORE_VENV)/.stamp)" ]; then \
	  echo "compat: pip install -r tests/requirements-ansible-$(CORE).txt into $(CORE_VENV)"; \
	  $(CORE_VENV)/bin/python -m pip install --disable-pip-version-check -q -r tests/requirements-ansible-$(CORE).txt; \
	  touch $(CORE_VENV)/.stamp; fi

# ansible-test sanity of ansible-core CORE on a copy of the collection under .build/sanity-CORE.
sanity-core: compat-venv
	@if [ -z "$(CORE_PY)" ]; then \
	  echo "$(NO_PYTHON) sanity skipped"; exit 0; fi; \
	$(MAKE) --no-print-directory sanity-core-run CORE=$(CORE) \
	  CORE_PYVER=$$($(CORE_VENV)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

sanity-core-run:
	$(call sanity_run,$(BUILD)/sanity-$(CORE),$(CORE_VENV)/bin,$(CORE_PYVER))

# The integration smoke subset and tests/compat/test_core.py with ansible-core CORE (needs `make lab-up`).
smoke-core: compat-venv collections
	@if [ -z "$(CORE_PY)" ]; then \
	  echo "$(NO_PYTHON) smoke tests skipped"; exit 0; fi; \
	echo "compat: ansible-core $$($(CORE_VENV)/bin/python -c 'from ansible.release import __version__ as v; print(v)')"; \
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(CORE_VENV)/bin/python -m pytest -q -p no:cacheprovider \
	  $(SMOKE_TESTS) tests/compat/test_core.py $(PYTEST_ARGS)

# Every version of CORE_VERSIONS, all of them even after a failure; non-zero when one failed.
compat-sanity compat-smoke: setup
	@failed=""; for v in $(CORE_VERSIONS); do \
	  echo "--- $(subst compat-,,$@) on ansible-core $$v"; \
	  $(MAKE) --no-print-directory $(subst compat-,,$@)-core CORE=$$v || failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "$@: failed on ansible-core$$failed" >&2; exit 1; fi

# --- the built artefact, AWX execution environment, ansible-runner ------------------------------------

# tests/compat/test_core.py on the venv's ansible-core (compat-smoke runs it on the others).
compat-core: setup collections
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest -q -p no:cacheprovider tests/compat/test_core.py \
	  $(PYTEST_ARGS)

ee: setup collections
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest -q -p no:cacheprovider tests/compat/test_ee.py \
	  tests/compat/test_credential_type.py $(PYTEST_ARGS)

artefact: setup collections
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest -q -p no:cacheprovider tests/compat/test_artefact.py \
	  $(PYTEST_ARGS)

runner: setup collections
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest -q -p no:cacheprovider tests/compat/test_runner.py \
	  $(PYTEST_ARGS)

lint: setup collections
	$(LINT_ENV) $(VENV)/bin/ansible-lint --offline --nocolor

unit: setup collections
	@[ -n "$(UNIT_DIRS)" ] || { echo "unit: no test directories" >&2; exit 1; }
	@rc=0; ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest $(UNIT_DIRS) -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "unit: no tests were collected" >&2; fi; exit $$rc

integration: setup collections
	@rc=0; ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest tests/integration -q --durations=25 $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "integration: no tests were collected" >&2; fi; exit $$rc

# Two lanes run side by side: the stages that need no lab (static checks, unit tests, the ansible-core matrix's
# sanity) and the lab lane (lab-up, the stages on the lab, lab-down). Every stage runs even after a failure; the lab
# is always taken down (also on Ctrl-C or a kill); the off-lab lane's output is printed when it ends; the exit
# status is non-zero when any stage failed. Each stage prints its duration.
STAGES_BEFORE_LAB := sanity lint unit compat-sanity compat-core ee campaign
STAGES_ON_LAB     := integration compat-smoke artefact runner molecule
TEST_LOGS         := $(BUILD)/test-logs

# run_stages(<stages>, <file collecting failed stage names>)
define run_stages
for stage in $(1); do \
  t0=$$(date +%s); echo "=== make $$stage"; \
  if $(MAKE) --no-print-directory $$stage; then st=passed; else st=FAILED; echo "$$stage" >> $(2); fi; \
  echo "=== make $$stage: $$st in $$(( $$(date +%s) - t0 ))s"; \
done
endef

test: setup collections
	@for v in $(CORE_VERSIONS); do $(MAKE) --no-print-directory compat-venv CORE=$$v; done
	@rm -rf $(TEST_LOGS); mkdir -p $(TEST_LOGS); : > $(TEST_LOGS)/failed; started=$$(date +%s); \
	( $(call run_stages,$(STAGES_BEFORE_LAB),$(TEST_LOGS)/failed) ) > $(TEST_LOGS)/off-lab.log 2>&1 & offlab=$$!; \
	finish() { \
	  echo "=== make lab-down"; $(MAKE) --no-print-directory lab-down || echo lab-down >> $(TEST_LOGS)/failed; \
	  wait $$offlab 2>/dev/null; \
	  echo "=== off-lab lane ($(STAGES_BEFORE_LAB)), run beside the lab lane:"; cat $(TEST_LOGS)/off-lab.log; \
	  failed=$$(tr '\n' ' ' < $(TEST_LOGS)/failed); took=$$(( $$(date +%s) - started )); \
	  if [ -n "$$failed" ]; then echo "make test: FAILED: $$failed(in $${took}s)"; exit 1; fi; \
	  echo "make test: all stages passed in $${took}s ($(STAGES_BEFORE_LAB) | lab-up $(STAGES_ON_LAB) lab-down)"; \
	}; \
	trap 'trap - INT TERM; echo "make test: interrupted"; echo interrupted >> $(TEST_LOGS)/failed; \
	      kill -- -$$offlab 2>/dev/null || kill $$offlab 2>/dev/null; finish' INT TERM; \
	echo "=== make lab-up"; \
	if $(MAKE) --no-print-directory lab-up; then \
	  $(call run_stages,$(STAGES_ON_LAB),$(TEST_LOGS)/failed); \
	else \
	  echo lab-up >> $(TEST_LOGS)/failed; \
	fi; \
	finish

# The campaigns that need no lab, each against private simulators: the reliability campaign of the rolling
# maintenance playbook (ROLLING_CAMPAIGN_ROUNDS rounds, default 20, with random faults) and the bad-input
# campaign's quick subset (every module in real ansible-playbook runs).
campaign: setup collections
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest -q -p no:cacheprovider tests/campaign $(PYTEST_ARGS)

# The molecule scenarios of extensions/molecule/ against the lab's hosts (needs lab-up).
molecule: setup collections
	tests/molecule/run.sh

clean: lab-down
	rm -rf $(BUILD) tests/output
