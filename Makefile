# Every target sets itself up: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck unit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo scans the embedded sample shop, then explains what its exit status means to a CI
# gate. Status 1 (violations found) is the expected outcome, so the target itself succeeds.
demo: $(STAMP)
	@status=0; $(BIN)/residency-audit scan fixtures/demo-shop --format table || status=$$?; \
	echo; \
	case $$status in \
	  0) echo "Scan exit status 0: no finding at or above --fail-on (high); a CI gate would pass.";; \
	  1) echo "Scan exit status 1: findings at or above --fail-on (high); a CI gate would fail the build.";; \
	  *) echo "Scan exit status $$status: the scan could not do its job (bad arguments, config or policy)."; exit $$status;; \
	esac

test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check residency_audit tests
	$(BIN)/ruff format --check residency_audit tests

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

# Generates benchmarks/corpus/<size> once, then times cold, warm and one-file-changed scans
# and writes benchmarks/RESULTS.md. Larger sweeps: make bench SIZES=1000,10000,30000
SIZES ?= 1000,10000
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --sizes $(SIZES) --write

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
