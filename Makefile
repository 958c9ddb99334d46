# poli: `make run` starts the whole system on an embedded Redis; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint docs format validate run bench golden clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,docs]'
	touch $@

test: install
	$(BIN)/pytest -n 3 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

docs: install
	$(BIN)/python bench/report.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

format: install
	$(BIN)/ruff format .

validate: install
	$(BIN)/polictl validate

run: install
	$(BIN)/polictl validate
	$(BIN)/polictl db init
	$(BIN)/polictl db demo
	$(BIN)/polictl up --flower

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/targets.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/report.py

golden: install
	POLI_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/generators/test_golden.py tests/generators/test_golden_hosts.py \
		tests/engine/test_config_cmd.py

clean:
	rm -rf $(VENV) var site .pytest_cache .ruff_cache .hypothesis
