# The README's commands. Each target sets up what it needs first (scripts/bootstrap.sh:
# minutes on a fresh machine, under a second afterwards).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export MMF_VENV := $(abspath $(VENV))

.PHONY: setup demo test bench model evaluate
setup:
	@scripts/bootstrap.sh

# The main job: simulator -> five sensor topics on DDS -> fusion node -> out/demo/.
demo: setup
	$(PY) -m multimodal_fusion.ros.demo --out out/demo

test: setup
	$(PY) -m pytest -q -ra

# Per-strategy parameters, MFLOPs and CPU latency -> docs/benchmarks/models.md.
bench: setup
	$(PY) -m multimodal_fusion.tools.bench_models --out docs/benchmarks/models.md
