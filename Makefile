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
#   make test         setup, sanity, lint, unit, lab-up, integration, then always lab-down; non-zero on any failure

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
SANITY_COLL := $(SANITY_ROOT)/ansible_collections/csops/cloudstack

# Interpreter the venv is made from, and the Python version ansible-test sanity targets.
PYTHON         ?= python3
SANITY_PYTHON  ?= 3.11
SANITY_ARGS    ?=
LABCTL_ARGS    ?=
PYTEST_ARGS    ?=

# Debian packages the project needs on a fresh machine (the lab: sshd, ip, unshare; the venv: python, gcc).
APT_PACKAGES := openssh-server openssh-client iproute2 util-linux hostname procps \
                python3 python3-venv python3-dev gcc make git ca-certificates \
                libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86

# Everything reaching out to the network is switched off for ansible-lint.
# ansible-lint finds the collection's own plugins through ANSIBLE_COLLECTIONS_PATH (the .build symlink).
LINT_ENV := ANSIBLE_LINT_NODEPS=1 ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1 ANSIBLE_LINT_OFFLINE=1 \
            ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) PATH=$(VENV)/bin:$$PATH

# Test directories for `make unit`: the collection's unit tests and the lab's own tests (those that exist).
UNIT_DIRS = $(wildcard tests/unit tests/lab/tests tests/lab/hosts/tests)

.PHONY: help setup apt venv collections lab-up lab-down lab-status demo sanity lint unit integration test clean

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
sanity: setup
	rm -rf $(SANITY_ROOT)
	mkdir -p $(SANITY_COLL)
	git ls-files -z -co --exclude-standard | \
	  tar --null --no-recursion --ignore-failed-read -T - -cf - | tar -xf - -C $(SANITY_COLL)
	git -C $(SANITY_COLL) init -q   # else ansible-test finds the outer repo, where .build/ is ignored
	@pipver=$$(sed -n "s/^ *pip='\([0-9.]*\)',*$$/\1/p" \
	  $$($(PY) -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py \
	  | head -n1); \
	[ -n "$$pipver" ] || { echo "sanity: cannot find ansible-test's pip version" >&2; exit 1; }; \
	mkdir -p ~/.ansible/test/cache; \
	cp tests/sanity/get_pip_shim.py ~/.ansible/test/cache/get_pip_$${pipver//./_}.py
	cd $(SANITY_COLL) && $(VENV)/bin/ansible-test sanity --python $(SANITY_PYTHON) --color no $(SANITY_ARGS)

lint: setup collections
	$(LINT_ENV) $(VENV)/bin/ansible-lint --offline --nocolor

unit: setup collections
	@[ -n "$(UNIT_DIRS)" ] || { echo "unit: no test directories" >&2; exit 1; }
	@rc=0; ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest $(UNIT_DIRS) -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "unit: no tests were collected" >&2; fi; exit $$rc

integration: setup collections
	@rc=0; ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(PY) -m pytest tests/integration -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "integration: no tests were collected" >&2; fi; exit $$rc

# Runs every stage even after a failure, always takes the lab down (also on Ctrl-C or a kill), and exits
# non-zero when any stage failed.
test: setup
	@failed=""; \
	finish() { \
	  $(MAKE) --no-print-directory lab-down || failed="$$failed lab-down"; \
	  if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	  echo "make test: all stages passed (sanity lint unit lab-up integration lab-down)"; \
	}; \
	trap 'trap - INT TERM; echo "make test: interrupted"; failed="$$failed interrupted"; finish' INT TERM; \
	for stage in sanity lint unit; do \
	  echo "=== make $$stage"; \
	  $(MAKE) --no-print-directory $$stage || failed="$$failed $$stage"; \
	done; \
	echo "=== make lab-up"; \
	if $(MAKE) --no-print-directory lab-up; then \
	  echo "=== make integration"; \
	  $(MAKE) --no-print-directory integration || failed="$$failed integration"; \
	else \
	  failed="$$failed lab-up"; \
	fi; \
	echo "=== make lab-down"; \
	finish

clean: lab-down
	rm -rf $(BUILD) tests/output
