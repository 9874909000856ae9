# Every set-up step lives here, so a fresh clone needs only `make demo` or `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov

.PHONY: help setup browser demo test previews soak bench bench-tenants audit package checkov clean
.DEFAULT_GOAL := help

help:
	@echo "make demo   run the embedded demo (Azurite + Graph simulator), installing what it needs"
	@echo "make test   run the whole test suite, installing what it needs"
	@echo "make previews  write PNG previews of every Teams card kind to previews/cards/"
	@echo "make soak   a long seeded soak with faults (SEED=1 TICKS=300); figures in docs/reliability.md"
	@echo "make bench  the scale benchmark: N = 100, 1,000, 10,000 SPs (figures in docs/performance.md)"
	@echo "make bench-tenants  100 tenants x 100 jobs through the work queue, 1 and 4 workers (docs/performance.md)"
	@echo "make audit  check the pinned packages for known vulnerabilities (pip-audit, own venv)"
	@echo "make package  build dist/syncwatch.zip, the Function App's deployment package"
	@echo "make checkov  scan infra/bicep with checkov (own venv, .venv-checkov)"

setup: $(VENV)/.ready node_modules/.ready

$(VENV)/.ready: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .  # the `syncwatch` console script
	touch $@

node_modules/.ready: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Chromium renders the Adaptive Cards in the browser tests and previews (Debian packages, needs root or sudo).
browser:
	bash scripts/install-chromium.sh

# The demo's cards are rendered as PNGs when Chromium is there (`make test` installs it).
demo: setup
	$(BIN)/python -m shared demo
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
		$(BIN)/python -m tools.card_render.previews --messages previews/demo; \
	else echo "PNG previews of these cards: run 'make browser' once, then 'make demo' again"; fi

# checkov in its own venv: it pins pycep-parser 0.5, the tests use 0.7.
$(CHECKOV_VENV)/.ready: infra/requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-checkov.txt
	touch $@

test: setup browser $(CHECKOV_VENV)/.ready
	$(BIN)/python -m pytest

SEED ?= 1
TICKS ?= 300
soak: setup
	$(BIN)/python -m tools.soak --seed $(SEED) --ticks $(TICKS)

bench: setup
	$(BIN)/python -m tools.bench

bench-tenants: setup
	$(BIN)/python -m tools.bench_tenants

# Known vulnerabilities in the pinned Python packages (pip-audit, in its own .venv-audit/). Skips with one line,
# exit 0, when the advisory source cannot be reached; fails on a vulnerable pin that has a fixed release.
audit: $(VENV)/.ready
	PYTHON=$(PYTHON) bash scripts/audit.sh

checkov: $(CHECKOV_VENV)/.ready
	$(CHECKOV_VENV)/bin/checkov --config-file infra/.checkov.yaml

package:
	$(PYTHON) infra/package.py

previews: setup browser
	$(BIN)/python -m tools.card_render.previews previews/cards

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .venv-audit node_modules .pytest_cache dist
