# Set-up and entry points. `make demo` and `make test` work on a fresh machine with python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,replay,dist,scip,gurobi]'
	$(BIN)/python -m schedkit.compiled  # compile the numba loops once, ahead of any time limit
	touch $(STAMP)

demo: $(STAMP)  ## solve every sample instance in instances/ and print a table
	$(BIN)/schedkit demo instances

lint: $(STAMP)
	$(BIN)/ruff check schedkit tests benchmarks
	$(BIN)/ruff format --check schedkit tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -n 2

test: lint typecheck unit  ## ruff, mypy and the whole test suite

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
