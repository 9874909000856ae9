# Every set-up step lives here, so a fresh clone needs only `make demo` or `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help setup browser demo test previews clean
.DEFAULT_GOAL := help

help:
	@echo "make demo   run the embedded demo (Azurite + Graph simulator), installing what it needs"
	@echo "make test   run the whole test suite, installing what it needs"
	@echo "make previews  write PNG previews of every Teams card kind to previews/cards/"

setup: $(VENV)/.ready node_modules/.ready

$(VENV)/.ready: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
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

test: setup browser
	$(BIN)/python -m pytest

previews: setup browser
	$(BIN)/python -m tools.card_render.previews previews/cards

clean:
	rm -rf $(VENV) node_modules .pytest_cache
