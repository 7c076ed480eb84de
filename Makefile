# The README's commands. Everything installs itself into .venv from the package registries.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov pins packaging==23.2 (the project's tools take 26.x) and brings ~70 packages the product never imports,
# so it lives in a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CHECKOV_VERSION := 3.3.30

.PHONY: venv lint typecheck checkov test demo bench emulator clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>/dev/null || true
	$(BIN)/python -m pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import portalsync, workspace_emulator"
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check shared tests functions scripts
	$(BIN)/ruff format --check shared tests functions scripts

typecheck: venv
	$(BIN)/mypy

$(CHECKOV_STAMP): Makefile
	test -x $(CHECKOV_VENV)/bin/python || $(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q 'checkov==$(CHECKOV_VERSION)' 2>&1 | grep -v "is ignored: it is neither" || true
	$(CHECKOV_VENV)/bin/checkov --version >/dev/null
	touch $(CHECKOV_STAMP)

# Static checks of infra/ (settings and the reasons for each skip: .checkov.yaml and infra/*.tf). BC_SKIP_MAPPING
# keeps it offline: no guideline look-up.
checkov: $(CHECKOV_STAMP)
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

test: lint typecheck checkov
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not bench"

demo: venv
	$(BIN)/python -m portalsync demo

bench: venv
	$(BIN)/python -m pytest -q -m bench tests/bench -p no:cacheprovider
	@cat .bench/results.json

emulator: venv
	$(BIN)/workspace-emulator --host 127.0.0.1 --port 8790

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build .bench .pytest_cache .mypy_cache .ruff_cache
