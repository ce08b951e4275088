# The README's commands. Each target sets up what it needs first (scripts/bootstrap.sh:
# minutes on a fresh machine, under a second afterwards).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export MMF_VENV := $(abspath $(VENV))

.PHONY: setup test
setup:
	@scripts/bootstrap.sh

test: setup
	$(PY) -m pytest -q -ra
