# The README's two commands are `make demo` and `make test`; both set themselves up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.parkops-installed

.PHONY: setup demo test bench lint clean

setup: $(STAMP)

# Re-install only when the declared dependencies change.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "parkops needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/parkops demo

# Two lanes at once: the browser tests beside the rest (tests/lanes.py says why).
test: setup
	$(BIN)/python -m tests.lanes

bench: setup
	$(BIN)/parkops bench

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy protocols edge cloud simulators parkops bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
