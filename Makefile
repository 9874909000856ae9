# Every set-up step lives here, so a fresh clone needs only `make demo` or `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help setup demo test clean
.DEFAULT_GOAL := help

help:
	@echo "make demo   run the embedded demo (Azurite + Graph simulator), installing what it needs"
	@echo "make test   run the whole test suite, installing what it needs"

setup: $(VENV)/.ready node_modules/.ready

$(VENV)/.ready: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.ready: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(BIN)/python -m shared demo

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) node_modules .pytest_cache
