# convox.convox: every command a developer or CI needs. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PORT ?= 5443
PASSWORD ?= secret
ARGS ?=
PY312 := $(or $(shell command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.12 2>/dev/null | sed 's|$$|/bin/python3.12|'),$(shell command -v python3.12),python3)

.PHONY: venv emulator demo test

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(VENV)/bin/python || $(PY312) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

emulator: venv
	PYTHONPATH=tests exec $(VENV)/bin/python -m emulator --port $(PORT) --password '$(PASSWORD)' $(ARGS)
