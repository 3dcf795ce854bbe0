# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo test bench docs lint clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

venv: $(BIN)/activate

demo: venv
	$(BIN)/python scripts/demo.py

test: venv
	$(BIN)/ruff check target_gong_di tests scripts bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

docs: venv
	$(BIN)/python scripts/docs.py

bench: venv
	$(BIN)/python bench/run.py

lint: venv
	$(BIN)/ruff check target_gong_di tests scripts bench
	$(BIN)/ruff format --check target_gong_di tests scripts bench

clean:
	rm -rf $(VENV) .pytest_cache gong-di-rejected.jsonl gong-di-dry-run.jsonl
