# poli: `make run` starts the whole system on an embedded Redis; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint docs format validate run bench golden mutation mutation-sample clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,docs]'
	@# The wheel is poli alone; this repository's application (handlers/) is put on the venv's
	@# path here, as a team puts its own task package on theirs (docs/moving.md).
	$(BIN)/python -c "import site, sys; open(site.getsitepackages()[0] + '/poli-application.pth', 'w').write(sys.argv[1] + '\n')" "$(CURDIR)"
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
	$(BIN)/python bench/rabbit.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/report.py

# Rewrites every golden file and prints the diff to review; the tests themselves never write one.
golden: install
	$(BIN)/python tests/update_golden.py

# Mutation testing of the core (minutes; not part of `make test`): the modules are listed once,
# under [tool.mutmut] in pyproject.toml; prints the score per module, fails under MUTATION_FLOOR.
MUTATION_FLOOR ?= 0
MVENV := .venv-mutation

$(MVENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(MVENV)
	$(MVENV)/bin/pip install --quiet --upgrade pip
	$(MVENV)/bin/pip install --quiet -e '.[dev,mutation]'
	$(MVENV)/bin/python -c "import site, sys; open(site.getsitepackages()[0] + '/poli-application.pth', 'w').write(sys.argv[1] + '\n')" "$(CURDIR)"
	touch $@

mutation: $(MVENV)/.installed
	rm -rf mutants
	$(MVENV)/bin/mutmut run --max-children 2
	$(MVENV)/bin/python tests/mutation_report.py --fail-under $(MUTATION_FLOOR)

# CI: a fixed sample of each listed module's mutants (tests/mutation_sample.py); all killed
mutation-sample: $(MVENV)/.installed
	rm -rf mutants
	$(MVENV)/bin/python tests/mutation_sample.py

clean:
	rm -rf $(VENV) $(MVENV) var site mutants .pytest_cache .ruff_cache .hypothesis
