# The README's two commands: `make run` and `make test`. Only python3 is needed first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/fbss.duckdb
PORT ?= 8501

.PHONY: run test lint typecheck bench sample browser pdf-deps report-images

# The virtual environment, rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

$(DB): | $(VENV)/.installed
	$(BIN)/fbss load data/sample --db $(DB)

run: $(VENV)/.installed pdf-deps $(DB)
	$(BIN)/fbss dashboard --db $(DB) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright's own download cannot work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's Pango and DejaVu fonts for the PDF reports (WeasyPrint draws text through Pango;
# the font is embedded in every PDF). Installed only when missing, like chromium above.
pdf-deps:
	@dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; }

# The page images in docs/report/ (pdftoppm from Debian's poppler-utils).
report-images: $(VENV)/.installed pdf-deps $(DB)
	@command -v pdftoppm >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; }
	$(BIN)/fbss report --clinic "Northgate Spine Centre" --period 2025 \
		--out docs/report/northgate-2025.pdf --db $(DB)
	rm -f docs/report/page-*.png
	pdftoppm -r 60 -png docs/report/northgate-2025.pdf docs/report/page

test: $(VENV)/.installed browser pdf-deps typecheck
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
