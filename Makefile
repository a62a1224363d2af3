# Targets shared by humans and CI. Each one creates .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv demo test check lint typecheck audit bench fmt clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install ringsync with its dev extras

demo: $(STAMP) ## Run the product on its embedded defaults (sfemu seeded, SQLite)
	$(VENV)/bin/ringsync demo

test: $(STAMP) ## Run the full test suite
	@bash scripts/ensure-services
	$(PY) -m pytest $(PYTEST_ARGS)

check: lint typecheck ## Lint and type-check

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Not part of `check`: pip-audit needs PyPI's JSON API and a vulnerability service; offline it
# cannot audit, and --strict makes that a failure rather than a silent pass.
audit: $(STAMP) ## Look for known vulnerabilities in the installed dependencies (needs network)
	$(VENV)/bin/pip-audit --strict --progress-spinner off --skip-editable

fmt: $(STAMP) ## Format the code
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

.PHONY: reliability reliability-full
reliability: $(STAMP) ## Run the fault tests, CI profile (3 seeds per fault, small scenarios)
	@bash scripts/ensure-services
	RINGSYNC_RELIABILITY_PROFILE=ci $(PY) -m pytest -q tests/reliability $(PYTEST_ARGS)

reliability-full: $(STAMP) ## Run the fault tests, full profile (22 seeds per fault, larger; long)
	@bash scripts/ensure-services
	RINGSYNC_RELIABILITY_PROFILE=full $(PY) -m pytest -q -rfxX tests/reliability $(PYTEST_ARGS)

bench: $(STAMP) ## Run the benchmarks (figures go to bench/results/)
	$(PY) -m bench

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
