# The README's commands. Everything installs itself into .venv from the package registries.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv lint typecheck test demo bench emulator clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>/dev/null || true
	$(BIN)/python -m pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import portalsync, workspace_emulator"
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check shared tests functions
	$(BIN)/ruff format --check shared tests functions

typecheck: venv
	$(BIN)/mypy

test: lint typecheck
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
	rm -rf $(VENV) .bench .pytest_cache .mypy_cache .ruff_cache
