# The README's commands. Each target sets up what it needs first (scripts/bootstrap.sh:
# minutes on a fresh machine, under a second afterwards).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export MMF_VENV := $(abspath $(VENV))

.PHONY: setup lint demo test bench model evaluate
setup:
	@scripts/bootstrap.sh

# The ament linters (flake8 with ROS's plugins, pep257) over the package, launch/, test/ and
# setup.py, as colcon test runs them.
lint: setup
	$(PY) -m pytest -q test/test_flake8.py test/test_pep257.py

# The main job: simulator -> five sensor topics on DDS -> fusion node -> out/demo/.
demo: setup
	$(PY) -m multimodal_fusion.ros.demo --compare-offline --out out/demo

test: setup
	$(PY) -m pytest -q -ra

# Per-strategy parameters, MFLOPs and CPU latency -> docs/benchmarks/models.md.
bench: setup
	$(PY) -m multimodal_fusion.tools.bench_models --out docs/benchmarks/models.md

# Retrain the shipped model from scratch (40-55 min on 2 CPU cores).
model: setup
	$(PY) -m multimodal_fusion.training.reproduce

# Every strategy, single modalities, drop-one models -> docs/evaluation/ (about 10 min).
evaluate: setup
	$(PY) -m multimodal_fusion.training.evaluate --out docs/evaluation --test-size 1000 \
	    --tail-train-size 1500 --tail-epochs 2
