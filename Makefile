# One obvious way to run each thing. `make run` and `make test` set up
# everything they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup setup-run browser axe run leads staff-user test test-fast mutate lint typecheck bench configure package clean

# `make run` installs only what the local stack needs; `make test` adds the test toolchain.
$(RUN_STAMP): requirements.txt requirements-run.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "pip==26.2.1"  # chalice 1.34 needs pip<26.3 to package
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-run.txt
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup-run: $(RUN_STAMP)

setup: $(STAMP)

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null 2>&1 || bash scripts/install-chromium.sh

# axe-core for the browser tests' accessibility checks, and uqr, the package the inbox's QR encoder
# (chalicelib/data/inbox/qr.js) is a copy of; package-lock.json pins both, and nothing from node_modules ships.
AXE_STAMP := node_modules/.installed
$(AXE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(AXE_STAMP)

axe: $(AXE_STAMP)

run: setup-run
	$(PY) -m scripts.local_stack

# The staff command line: make leads ARGS="--local list" (see README, "For staff").
# make can only exit 0 or 2, so this shows the tool's own words and nothing of
# make's; ./leads (which this runs) exits with the tool's code, for scripts.
ifeq ($(MAKECMDGOALS),leads)
MAKEFLAGS += --silent
endif
leads: setup-run
	-@./leads $(ARGS)

# Add a staff member: make staff-user EMAIL=sam@clinic.example ROLE=intake [NAME="Sam Okafor"]
# (the local stack's pool; prints a password and TOTP secret), or with STAGE=prod
# (the stage's deployed pool; Cognito emails a temporary password). See docs/deploy.md.
# NAME is how the inbox shows them to colleagues (their email when none is given); quotes in it are kept.
staff-user: setup-run
	$(PY) -m scripts.staff_user --email '$(EMAIL)' --role '$(ROLE)' $(if $(NAME),--name '$(subst ','\'',$(value NAME))') $(if $(filter file,$(origin STAGE)),--local,--stack $(STACK))

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup
	$(PY) -m mypy app.py chalicelib scripts
	cd staff && ../$(PY) -m mypy app.py

test: setup browser axe lint typecheck
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
# make configure STAGE=prod [STACK=next-steps-prod] [ORIGINS=https://www.clinic.example] [INBOX_URL=https://.../staff/]
STAGE ?= dev
STACK ?= next-steps-$(STAGE)
configure: setup
	$(PY) -m scripts.configure_stage --stage $(STAGE) --stack $(STACK) $(if $(ORIGINS),--allowed-origins '$(ORIGINS)') $(if $(INBOX_URL),--inbox-url '$(INBOX_URL)')

# The zip `make deploy` ships, with bytecode for Lambda's Python 3.11 (docs/deploy.md, "Deploy the app"):
# build/package/deployment.zip and sam.json. make package [STAGE=dev]
package: setup
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(PY) -m scripts.deploy package --stage $(STAGE)

# make package, then `chalice deploy` of that very zip and the stage's API throttling, then the
# stream subscription's retry limits and filter (which Chalice cannot set). make deploy STAGE=prod
.PHONY: deploy
deploy: setup
	$(PY) -m scripts.deploy deploy --stage $(STAGE)
	$(PY) -m scripts.stream_settings --stage $(STAGE)

# The staff API (staff/, its own function, role and API Gateway), after make deploy; then its
# gateway's own refusals (the Cognito authorizer's 401) as problem JSON. make staff-deploy STAGE=prod
.PHONY: staff-deploy
staff-deploy: setup
	cd staff && ../$(VENV)/bin/chalice deploy --stage $(STAGE)
	$(PY) -m scripts.staff_gateway --stage $(STAGE)

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache node_modules
