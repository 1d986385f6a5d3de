# The README's two commands: `make run` and `make test`. Only python3 is needed first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/fbss.duckdb
PORT ?= 8501

.PHONY: run test lint typecheck bench sample browser

# The virtual environment, rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

$(DB): | $(VENV)/.installed
	$(BIN)/fbss load data/sample --db $(DB)

run: $(VENV)/.installed $(DB)
	$(BIN)/fbss dashboard --db $(DB) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright's own download cannot work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: $(VENV)/.installed browser typecheck
	$(BIN)/python -m pytest

lint: $(VENV)/.installed typecheck
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# The typed seam between layers: mypy over every package (also part of `make test`).
typecheck: $(VENV)/.installed
	$(BIN)/mypy

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_load.py --cases 1000000
	$(BIN)/python benchmarks/bench_analytics.py --cases 1000000
	$(BIN)/python benchmarks/bench_dashboard.py --cases 1000000

sample: $(VENV)/.installed
	$(BIN)/fbss sample --cases 1000 --seed 20261101 --as-of 2026-11-01 --out data/sample
