# The two commands of the README, `make demo` and `make test`, and `make lint` (CI runs it).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
DEMO_ENV := DASHBOARD_DEMO=1
FAKE_PORT ?= 8787
PORT ?= 8000

# The newest Python >= 3.12 that actually runs: PATH first, then pyenv's versions
# (a pyenv shim for a version that is not selected exists but fails when run).
find_python = for c in python3.14 python3.13 python3.12 python3 \
	  $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -Vr); do \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then command -v "$$c" || echo "$$c"; exit 0; fi; \
	done; exit 1

.PHONY: demo test lint bench install install-dev clean

# Two stamps: the runtime alone (what `make demo` and the production image need) and the
# development tools on top of it (tests, lint).
$(VENV)/.runtime: requirements.txt
	@PYTHON=$$($(find_python)) || { echo "error: Python 3.12 or newer is required (Django 6.1); none found on PATH or in pyenv." >&2; exit 1; }; \
	echo "Using $$PYTHON ($$($$PYTHON --version))"; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		rm -rf $(VENV) && $$PYTHON -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

# In parallel (pytest-xdist): most tests wait on a fake QuickBooks rather than compute,
# so more workers than cores pays. Each worker has its own database and cache.
TEST_WORKERS ?= 4
test: install-dev
	$(PY) -m pytest -n $(TEST_WORKERS)

# ruff (lint and format) over the tree, mypy with django-stubs over dashboard/, tests/,
# fake_conductor/ and benchmarks/.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DASHBOARD_DEMO=1 $(VENV)/bin/mypy

# Not part of `make test`: about twenty minutes, wants a quiet machine (docs/performance.md).
bench: install
	$(PY) benchmarks/run.py
	$(PY) benchmarks/activity_kinds.py
	$(PY) benchmarks/local_copy.py
	$(PY) benchmarks/customer_index.py
	@echo "(On PostgreSQL too: $(PY) benchmarks/customer_index.py --database-url postgres://… --out benchmarks/customer_index_results_postgres.json)"
	@echo "(The copy's size on PostgreSQL: $(PY) benchmarks/copy_size.py --database-url postgres://…/an_empty_database)"

demo: install
	mkdir -p var
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@set -e; \
	$(PY) -m fake_conductor --port $(FAKE_PORT) & FAKE=$$!; \
	trap 'kill $$FAKE 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 50); do curl -s -o /dev/null http://127.0.0.1:$(FAKE_PORT)/_fake/stats && break; sleep 0.1; done; \
	kill -0 $$FAKE 2>/dev/null || { echo "error: the fake Conductor could not start on port $(FAKE_PORT) (in use? set FAKE_PORT=...)" >&2; exit 1; }; \
	$(DEMO_ENV) CONDUCTOR_BASE_URL=http://127.0.0.1:$(FAKE_PORT)/v1 $(PY) manage.py seed_demo; \
	$(DEMO_ENV) CONDUCTOR_BASE_URL=http://127.0.0.1:$(FAKE_PORT)/v1 $(PY) manage.py sync_customers || true; \
	while :; do $(DEMO_ENV) CONDUCTOR_BASE_URL=http://127.0.0.1:$(FAKE_PORT)/v1 $(PY) manage.py sync_worker \
		|| echo "The sync worker stopped; starting it again in 5 s." >&2; sleep 5; done & WORKER=$$!; \
	$(DEMO_ENV) CONDUCTOR_BASE_URL=http://127.0.0.1:$(FAKE_PORT)/v1 GUNICORN_BIND=127.0.0.1:$(PORT) \
		$(VENV)/bin/gunicorn -c gunicorn.conf.py & WEB=$$!; \
	trap 'KIDS=$$(pgrep -P $$WORKER); kill $$FAKE $$WORKER $$WEB $$KIDS 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 100); do curl -s -o /dev/null http://127.0.0.1:$(PORT)/healthz && break; sleep 0.1; done; \
	kill -0 $$WEB 2>/dev/null || { echo "error: the dashboard could not start on port $(PORT) (in use? set PORT=...)" >&2; exit 1; }; \
	sleep 2; # the worker's first round logs a line per company: the logins come after it \
	$(DEMO_ENV) $(PY) manage.py seed_demo --logins --url http://127.0.0.1:$(PORT)/; \
	wait $$WEB

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .mypy_cache .ruff_cache
