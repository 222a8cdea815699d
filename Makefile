# jamstat — every target does its own set-up (venv from the lock, repo-local Airflow home).
# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Local settings: the KEY=value lines of .env (copied from .env.example) when it exists, exported to every
# command. A variable already set in the environment or on the command line wins over .env.
ifneq (,$(wildcard .env))
ENV_FILE_VARS := $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env)
$(foreach v,$(ENV_FILE_VARS),$(if $(filter undefined,$(origin $(v))),$(eval $(v) := $(shell sed -n 's/^$(v)=//p' .env | tail -n 1))))
export $(ENV_FILE_VARS)
endif

# python3.11 when it is on PATH, else python3 (checked below: the lock file is resolved for 3.11)
PYTHON ?= $(or $(shell command -v python3.11 2>/dev/null),python3)
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9

# Repo-local, git-ignored runtime state. Nothing here is a secret.
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__PARALLELISM := 4
export AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT := 30
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL := 30
export AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG := 1
export DO_NOT_TRACK := 1
export SODA_CORE_TELEMETRY_ENABLED := false
export GX_ANALYTICS_ENABLED := false
export PYTHONPATH := $(CURDIR)

INSTALLED := $(VENV)/.installed
AIRFLOW_READY := $(AIRFLOW_HOME)/.initialised

.PHONY: help install preflight run report docs test test-fast test-distributed test-spark up down bench lock clean compose-check publish-postgres

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' Makefile | awk -F':.*## ' '{t[NR]=$$1; d[NR]=$$2; if (length($$1) > w) w = length($$1)} \
		END {for (i = 1; i <= NR; i++) printf "  make %-" w "s  %s\n", t[i], d[i]}'

# --compile-bytecode: every Airflow process imports thousands of modules; compiling them at each start costs
# seconds per process wherever .pyc files cannot be written later (PYTHONDONTWRITEBYTECODE, read-only venvs).
$(INSTALLED): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "jamstat needs Python 3.11, and '$(PYTHON)' is not on PATH." \
		"Install it (Debian/Ubuntu: apt-get install python3.11 python3.11-venv; or pyenv install 3.11)," \
		"then run make again, or point at it: make install PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else f"jamstat needs Python 3.11; {sys.executable} is {sys.version.split()[0]}. Install 3.11 and run: make install PYTHON=/path/to/python3.11")'
	@echo "==> creating $(VENV) and syncing requirements.lock (first time: about a minute)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	@$(BIN)/uv pip sync -q -p $(BIN)/python --compile-bytecode requirements.lock
	@$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e .
	@touch $@

install: $(INSTALLED) ## create .venv from the lock file

$(AIRFLOW_READY): $(INSTALLED)
	@echo "==> initialising Airflow metadata DB in $(AIRFLOW_HOME) (SQLite)"
	@mkdir -p $(AIRFLOW_HOME)
	@$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (tail -30 $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	@$(BIN)/python -m jamstat.orchestration.airflow_pools
	@touch $@

preflight: $(INSTALLED) ## before a first live run: check the catalog against the APIs' metadata (exit 1: a row will fail; 3: offline)
	@$(BIN)/jamstat preflight

run: $(AIRFLOW_READY) ## run the whole pipeline once as real Airflow DAG runs (JAMSTAT_MODE=auto|live|replay)
	@$(BIN)/python -m tools.make_run

report: $(INSTALLED) ## re-render the follow-up web report from the published warehouse (COUNTY=20 for another county)
	@$(BIN)/python -m jamstat.report $(if $(COUNTY),--county $(COUNTY))

docs: $(INSTALLED) ## dbt docs of the published warehouse, served on JAMSTAT_BIND:JAMSTAT_DOCS_PORT (default 127.0.0.1:8081)
	@$(BIN)/python -m tools.dbt_docs

test: $(AIRFLOW_READY) ## the whole test suite (CI also runs test-distributed)
	@$(BIN)/python -m pytest --ignore=tests/distributed $(PYTEST_ARGS)

test-distributed: $(AIRFLOW_READY) ## the pipeline on Airflow's CeleryExecutor: Redis + PostgreSQL + 4 Airflow processes (~4 min)
	@$(BIN)/python -m pytest tests/distributed $(PYTEST_ARGS)

test-fast: $(INSTALLED) ## unit tests only (no Airflow or dbt runs)
	@$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-spark: $(INSTALLED) ## dbt build on Spark (dbt-spark session mode in its own .venv-spark; ~3 min)
	@tests/portability/spark_env.sh
	@JAMSTAT_SPARK_TESTS=1 $(BIN)/python -m pytest -m spark tests/portability $(PYTEST_ARGS)

up: $(AIRFLOW_READY) ## start the Airflow UI (airflow standalone) in the background
	@$(BIN)/python -m tools.airflow_ui up

down: ## stop exactly the processes `make up` started
	@$(BIN)/python -m tools.airflow_ui down

bench: $(AIRFLOW_READY) ## benchmarks → bench/results/latest.json and bench/README.md (BENCH="make_run report" for some)
	@$(BIN)/python -m bench $(BENCH)

compose-check: $(INSTALLED) ## validate docker-compose.yml and the Dockerfile offline
	@$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	@$(BIN)/python -m pytest -q tests/serving/test_compose.py

publish-postgres: $(INSTALLED) ## copy the published marts into PostgreSQL (needs JAMSTAT_POSTGRES_URL)
	@$(BIN)/python -m jamstat.serve.postgres publish

lock: ## re-resolve requirements.in into requirements.lock (needs PyPI)
	@test -x $(BIN)/uv || ($(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q uv==$(UV_VERSION))
	$(BIN)/uv pip compile -p 3.11 --exclude-newer 2026-11-30T00:00:00Z requirements.in -o requirements.lock

clean: ## remove runtime state (data, warehouse, Airflow home); keeps .venv
	rm -rf data warehouse $(AIRFLOW_HOME) dbt_project/target dbt_project/logs logs
