# The entry point for people and CI. Needs only Python 3.11+; everything else goes in .venv.
#   make run              web + worker + beat on http://127.0.0.1:$PORT/ (default 8000)
#   make test ARGS='-k power -x'   (in parallel; TEST_WORKERS=0 for one process)
.DEFAULT_GOAL := help
.PHONY: help run test lint format bench clean distclean

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --no-input
# Stamps: reinstall only when a requirements file is newer than the last install.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

help:
	@echo "make run    start the portal (web, Celery worker, Celery beat) in the foreground"
	@echo "make test   run the test suite (ARGS='...' goes to pytest)"
	@echo "make lint   ruff check and format check;  make format  fix what ruff can"
	@echo "make bench  page benchmarks (bench/pages.py)"
	@echo "make clean  remove .var (database, broker, cache) and caches; distclean also .venv"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	@touch $@

# The dev set includes the runtime set, so it satisfies `make run` too.
$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install -q -r requirements-dev.txt
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(PY) scripts/run.py

# Exit code 5 means pytest collected nothing (e.g. a -k that matches no test): not a failure.
# In parallel: one pytest-xdist worker per core, at most TEST_WORKERS_MAX, each with its own test
# database; worksteal evens out the long integration tests. TEST_WORKERS=0 runs in one process.
TEST_WORKERS_MAX ?= 4
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt $(TEST_WORKERS_MAX) ] && n=$(TEST_WORKERS_MAX); echo $$n)
test: $(DEV_STAMP)
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests collected"; exit 0; fi; exit $$status

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(DEV_STAMP)
	$(PY) bench/pages.py $(ARGS)

clean:
	rm -rf .var staticfiles .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
