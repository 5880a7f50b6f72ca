# The two commands of the quickstart: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean postgres

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/accord-bot run

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

# The tests start their own PostgreSQL server (tests/postgres.py); install its programs
# when this machine has none (Debian/Ubuntu, as root).
postgres:
	@if ! command -v pg_config >/dev/null || [ ! -x "$$(pg_config --bindir)/initdb" ]; then \
		echo "installing PostgreSQL for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	fi

test: lint postgres
	$(BIN)/pytest -q

bench: $(BIN)/.installed
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/slack.py
	$(BIN)/python bench/discord.py
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
