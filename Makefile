# One obvious way to run each thing. `make run` and `make test` set up
# everything they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup browser run leads test test-fast mutate lint typecheck bench configure package clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "pip==26.2.1"  # chalice 1.34 needs pip<26.3 to package
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null 2>&1 || bash scripts/install-chromium.sh

run: setup
	$(PY) -m scripts.local_stack

# The staff command line: make leads ARGS="--local list" (see README, "For staff").
leads: setup
	@$(PY) -m scripts.leads $(ARGS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup
	$(PY) -m mypy app.py chalicelib scripts

test: setup browser lint typecheck
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: setup
	$(PY) -m pytest -m "not browser and not e2e and not deploy"

# Mutation testing (not part of `make test`; slow): mutmut changes chalicelib's core
# modules one small change at a time (config in pyproject.toml, [tool.mutmut]) and
# runs the fast suites against each; a mutant that survives is a promise no test guards.
# Narrow it with MUTANTS='chalicelib.logs.*' (mutant names, globs allowed).
mutate: setup
	set -f; $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS); status=$$?; \
	$(VENV)/bin/mutmut results; exit $$status

bench: setup
	$(PY) -m benchmarks.run

# Point a stage at its deployed infra/ stack (docs/deploy.md): writes the stage's
# settings into .chalice/config.json and one IAM policy per function .chalice/policy-$(STAGE)-<function>.json.
# make configure STAGE=prod [STACK=next-steps-prod] [ORIGINS=https://www.clinic.example]
STAGE ?= dev
STACK ?= next-steps-$(STAGE)
configure: setup
	$(PY) -m scripts.configure_stage --stage $(STAGE) --stack $(STACK) $(if $(ORIGINS),--allowed-origins '$(ORIGINS)')

package: setup
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(VENV)/bin/chalice package --stage dev build/package

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
