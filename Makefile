# convox.convox: every command a developer or CI needs. See README.md.
#   make demo      run docs/examples/demo.yml against the emulator (apply, re-apply, check+diff);
#                  its venv (.venv-demo) has only requirements-demo.txt
#   make test      everything CI runs (.ci/run calls exactly this); one timing line per step
#   make lint | pytest | sanity | units | integration | integration-modules | molecule | galaxy | docs | bench
#   make docs      the docs site, HTML in build/docs/build/html (module docs + the guides of docs/)
#   make docs-rst  after editing a guide (docs/*.md): regenerate its RST (docs/docsite/rst)
#   make emulator PORT=5443 PASSWORD=secret ARGS="..."   the rack emulator in the foreground
SHELL := /bin/bash
VENV ?= .venv
VENV216 ?= .venv-2.16
DEMO_VENV ?= .venv-demo
PORT ?= 5443
PASSWORD ?= secret
ARGS ?=
PY312 := $(or $(shell command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.12 2>/dev/null | sed 's|$$|/bin/python3.12|'),$(shell command -v python3.12),python3)
STEPS := bash .ci/steps.sh

.PHONY: venv venv-2.16 emulator demo test lint pytest sanity units integration integration-modules molecule galaxy docs docs-rst bench shapes clean

venv: $(VENV)/.installed

# requirements-dev.txt installs the emulator (emulator/) editable: its pyproject.toml counts too.
$(VENV)/.installed: requirements.txt requirements-dev.txt emulator/pyproject.toml
	test -x $(VENV)/bin/python || $(PY312) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The oldest ansible-core the collection claims (meta/runtime.yml), for sanity and integration.
venv-2.16: $(VENV216)/.installed

$(VENV216)/.installed: requirements.txt .ci/requirements-core-2.16.txt emulator/pyproject.toml
	test -x $(VENV216)/bin/python || $(PY312) -m venv $(VENV216)
	$(VENV216)/bin/pip install -q --disable-pip-version-check -r .ci/requirements-core-2.16.txt
	touch $@

# The installed console script (from the demo's venv: the emulator and the runtime only). The password reaches it through the environment only, never a
# command line (make's echo, `make -n`, ps): $(value ...) keeps every character, `$` and quotes too.
emulator: export EMULATOR_PASSWORD = $(value PASSWORD)
emulator: $(DEMO_VENV)/.installed
	@exec $(DEMO_VENV)/bin/convox-emulator --port $(PORT) --password-env EMULATOR_PASSWORD $(ARGS)

# The demo has a venv of its own with only what it runs (requirements-demo.txt): a first
# `make demo` on a fresh clone does not install the development toolchain.
$(DEMO_VENV)/.installed: requirements.txt requirements-demo.txt emulator/pyproject.toml
	test -x $(DEMO_VENV)/bin/python || $(PY312) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-demo.txt
	touch $@

demo: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/python docs/examples/run_demo.py

test:
	$(STEPS) test

lint:
	$(STEPS) venv lint

pytest:
	$(STEPS) venv pytest

sanity:
	$(STEPS) venv sanity sanity-pythons

units:
	$(STEPS) venv pytest units

integration:
	$(STEPS) venv integration

# the same targets with the controller path off: every convox task as a module process
integration-modules:
	$(STEPS) venv integration-modules

molecule:
	$(STEPS) venv molecule

galaxy:
	$(STEPS) venv ansible-lint changelog docs-lint galaxy

docs:
	$(STEPS) venv docs

# The guides' source is docs/*.md; antsibull-docs takes RST: tools/docs.py writes it (and copies the
# example playbooks into their guides). CI fails while the generated files are stale.
docs-rst: venv
	$(VENV)/bin/python tools/docs.py rst

bench: venv
	PYTHON=$(VENV)/bin/python bash bench/run.sh

# plugins/module_utils/_shapes.py (the records' field table) from the models; rerun after changing a model
shapes: venv
	$(VENV)/bin/python tools/gen_shapes.py

clean:
	rm -rf build dist collections tests/output importer_result.json .pytest_cache .mypy_cache .ruff_cache
