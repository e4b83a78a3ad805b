# lakebox development tasks (GNU make). A fresh Debian machine needs only python3 (3.11),
# python3-venv and make: `make demo` and `make test` build the virtualenv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two lock files, both with hashes: requirements.lock holds what lakebox needs to run (the
# [project] dependencies: what `make demo` installs); requirements-dev.lock adds the dev, ml and
# bench extras at the same versions (what `make test` needs). Each stamp is written after a
# complete install and redone only when its lock or pyproject.toml changes, so `make test`
# after `make demo` adds the development set to the same .venv.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes
PYTEST_ARGS ?=
# Apache Superset for `make superset-check`, in a venv of its own (~800 MB); the stamp is
# written after a complete install.
SUPERSET_VENV := .superset-venv
SUPERSET_STAMP := $(SUPERSET_VENV)/.installed
SUPERSET_PACKAGES := apache-superset==6.1.0 rich cachetools "flask-caching<2.4" psycopg2-binary
SUPERSET_CHECK_ARGS ?=
# Quix Streams for benchmarks/stream.py's side-by-side run, in a venv of its own: quixstreams
# 3.28.1 pins pydantic<2.14 and lakebox pins 2.14.3. It installs from a hashed lock, and the
# benchmark runs its Quix child with $(QUIX_VENV)/bin/python; nothing is downloaded at run time.
QUIX_VENV := .venv-quix
QUIX_STAMP := $(QUIX_VENV)/.installed
QUIX_LOCK := benchmarks/quix-requirements.lock
STREAM_BENCH_ARGS ?=
# Options of `make hostile` (scripts/hostile): caps and input sizes, e.g. HOSTILE_ARGS="--timeout 30".
HOSTILE_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help .venv .venv-quix test demo lint format bench bench-stream hostile lock quix-lock \
	superset-check clean distclean

help:
	@echo "make demo       build the demo project in demo-project/ and run the whole data path"
	@echo "make test       ruff check, then the whole pytest suite (PYTEST_ARGS=... passes options)"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     sort imports and format the code with ruff"
	@echo "make bench      run benchmarks/ingest.py"
	@echo "make hostile    run every hostile input of docs/hostile.md under a time and memory watchdog"
	@echo "                     and print the table (HOSTILE_ARGS=... passes options)"
	@echo "make bench-stream  run benchmarks/stream.py: lakebox and Quix Streams side by side on Kafka"
	@echo "                     (installs $(QUIX_VENV) once; STREAM_BENCH_ARGS=... passes options)"
	@echo "make .venv-quix create $(QUIX_VENV) with Quix Streams from $(QUIX_LOCK)"
	@echo "make quix-lock  regenerate $(QUIX_LOCK) with uv (hashes, Python 3.11)"
	@echo "make superset-check  chart the demo project in Apache Superset 6.1 through lakebox pg"
	@echo "                     (installs $(SUPERSET_VENV) once; SUPERSET_CHECK_ARGS=... passes options)"
	@echo "make lock       regenerate requirements.lock and requirements-dev.lock with uv (hashes, Python 3.11)"
	@echo "make .venv      create $(VENV) and install both locks and lakebox (editable)"
	@echo "make clean      remove caches, build output and generated demo/benchmark folders"
	@echo "make distclean  clean, and remove $(VENV), $(SUPERSET_VENV) and $(QUIX_VENV) too"

.venv: $(DEV_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --require-hashes -r requirements.lock
	$(BIN)/pip install --no-deps -e .
	touch $@

$(DEV_STAMP): requirements-dev.lock requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --no-deps -e .
	touch $@

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(RUNTIME_STAMP)
	$(BIN)/lakebox demo demo-project

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/ingest.py

# Each input on a fresh project, each lakebox command capped (60 s, 2 GiB RSS, 2 GiB written by
# default); exits 1 unless every row is bounded and accounted.
hostile: $(DEV_STAMP)
	$(BIN)/python -m scripts.hostile $(HOSTILE_ARGS)

$(QUIX_VENV)/bin/python:
	$(PYTHON) -m venv $(QUIX_VENV)

$(QUIX_STAMP): $(QUIX_LOCK) | $(QUIX_VENV)/bin/python
	$(QUIX_VENV)/bin/pip install --require-hashes -r $(QUIX_LOCK)
	touch $@

.venv-quix: $(QUIX_STAMP)

bench-stream: $(DEV_STAMP) $(QUIX_STAMP)
	$(BIN)/python benchmarks/stream.py --quix-python $(QUIX_VENV)/bin/python $(STREAM_BENCH_ARGS)

quix-lock: | $(BIN)/python
	$(BIN)/pip install uv
	$(BIN)/uv pip compile benchmarks/quix-requirements.in --python-version 3.11 --generate-hashes \
		-o $(QUIX_LOCK)

$(SUPERSET_VENV)/bin/python:
	$(PYTHON) -m venv $(SUPERSET_VENV)

$(SUPERSET_STAMP): | $(SUPERSET_VENV)/bin/python
	$(SUPERSET_VENV)/bin/pip install $(SUPERSET_PACKAGES)
	touch $@

# lakebox's interpreter runs the check; the script drives $(SUPERSET_VENV)'s binaries by path.
superset-check: $(DEV_STAMP) $(SUPERSET_STAMP)
	$(BIN)/python scripts/superset_check.py $(SUPERSET_CHECK_ARGS)

# Needs only the interpreter: a broken lock must not stop its own regeneration. The runtime
# lock comes first; the development lock is constrained to its versions, so both agree.
lock: | $(BIN)/python
	$(BIN)/pip install uv
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev --extra ml --extra bench -c requirements.lock -o requirements-dev.lock

clean:
	rm -rf build dist src/*.egg-info .pytest_cache .ruff_cache demo-project benchmarks/out \
		.lakebox-test .superset-check
	find . \( -path ./$(VENV) -o -path ./$(SUPERSET_VENV) -o -path ./$(QUIX_VENV) \) -prune \
		-o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(SUPERSET_VENV) $(QUIX_VENV)
