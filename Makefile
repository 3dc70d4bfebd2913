# One command each: `make demo` installs and runs the demo, `make test` installs and runs the tests.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install demo test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints/test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints/test.txt -e '.[dev]'
	touch $@

demo: install
	$(BIN)/loom run configs/demo.yaml --out out/demo --overwrite
	@echo "Browse it with: $(BIN)/loom inspect out/demo"

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .

bench: install
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf out .pytest_cache
