# lakebox development tasks (GNU make). A fresh Debian machine needs only python3 (3.11),
# python3-venv and make: `make demo` and `make test` build the virtualenv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written after a complete install; rebuilt only when the lock or pyproject.toml change.
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help .venv test demo lint format bench lock clean distclean

help:
	@echo "make demo       build the demo project in demo-project/ and run the whole data path"
	@echo "make test       ruff check, then the whole pytest suite (PYTEST_ARGS=... passes options)"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     sort imports and format the code with ruff"
	@echo "make bench      run benchmarks/ingest.py"
	@echo "make lock       regenerate requirements.lock with uv (hashes, Python 3.11)"
	@echo "make .venv      create $(VENV) and install requirements.lock and lakebox (editable)"
	@echo "make clean      remove caches, build output and generated demo/benchmark folders"
	@echo "make distclean  clean, and remove $(VENV) too"

.venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --require-hashes -r requirements.lock
	$(BIN)/pip install --no-deps -e .
	touch $@

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/lakebox demo demo-project

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

# Needs only the interpreter: a broken lock must not stop its own regeneration.
lock: | $(BIN)/python
	$(BIN)/pip install uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra ml --extra bench --python-version 3.11 \
		--generate-hashes -o requirements.lock

clean:
	rm -rf build dist src/*.egg-info .pytest_cache .ruff_cache demo-project benchmarks/out \
		.lakebox-test
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
