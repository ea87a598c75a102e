# The two commands of the README: `make run` (product on SQLite with demo data) and `make test` (whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8050
ROWS ?= 200000
DEMO_PASSWORD ?= haocha-demo
TEST_WORKERS ?= 2

.PHONY: run test install install-test lint bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/haocha init
	$(BIN)/haocha demo --rows $(ROWS)
	@$(BIN)/haocha users list --json 2>/dev/null | grep -q '"username": "demo"' || \
		echo "$(DEMO_PASSWORD)" | $(BIN)/haocha users add demo --role admin --password-stdin
	@echo "演示账号 demo login: user demo, password $(DEMO_PASSWORD) (local demo only)"
	$(BIN)/haocha serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check feedback etl dashboards tests bench
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check feedback etl dashboards tests bench

# The README's dashboard screenshots, taken by the browser test of every screen on a 200,000-rating demo
# (needs /usr/bin/chromium and a Chinese font: apt-get install chromium fonts-noto-cjk).
screenshots: install
	HAOCHA_SCREENSHOT_DIR=docs/screenshots HAOCHA_SCREENSHOT_ROWS=200000 \
		$(BIN)/python -m pytest -q tests/dashboards/test_browser_demo.py

bench: install
	$(BIN)/python -m bench.etl --rows 1000000

clean:
	rm -rf $(VENV) instance build *.egg-info
