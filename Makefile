# Two commands for a fresh machine with only Python: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run PORT=8080` serves on another port.
PORT ?= 8000

.PHONY: run test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/groupcover migrate
	$(BIN)/groupcover demo
	@$(BIN)/groupcover token --subject dev-admin --role admin > .dev-token
	@echo
	@echo "Development token (admin, 12 hours), also saved in .dev-token:"
	@cat .dev-token
	@echo
	@echo "Open http://127.0.0.1:$(PORT)/graphql and add the header"
	@echo '  {"Authorization": "Bearer <token>"}'
	@echo "or from a shell:"
	@echo '  curl -s http://127.0.0.1:$(PORT)/graphql -H "Authorization: Bearer $$(cat .dev-token)" \'
	@echo "    -H 'Content-Type: application/json' -d '{\"query\": \"{ groupClients(first: 5) { totalCount edges { node { code name } } } }\"}'"
	@echo
	$(BIN)/groupcover serve --port $(PORT)

# With PostgreSQL (GROUPCOVER_TEST_POSTGRES_URL, as .ci/run sets it) the SQLite half and the
# PostgreSQL half run side by side, one core each: on 2 cores 14 and 17 minutes at once, where
# one process took about 31 (26 and 31 minutes by December, as the suite grew). Tests without
# a database run in the SQLite half only; the PostgreSQL half takes the tests of the
# `postgresql` database and those marked `postgresql` (tests/conftest.py), so that the longer
# half does not repeat the wheel, Docker and served-process tests.
# `make test TESTS=tests/api` runs part of the suite the same way.
TESTS ?=
test: $(STAMP)
ifdef GROUPCOVER_TEST_POSTGRES_URL
	@GROUPCOVER_TEST_POSTGRES_URL= $(BIN)/pytest -q -p no:cacheprovider -rs $(TESTS) \
		> .test-sqlite.log 2>&1 & lite=$$!; \
	$(BIN)/pytest -q -p no:cacheprovider -rs -k "postgresql and not sqlite" $(TESTS); pg=$$?; \
	wait $$lite; sqlite=$$?; \
	echo "== SQLite half =="; cat .test-sqlite.log; \
	test $$pg -eq 0 -a $$sqlite -eq 0
else
	$(BIN)/pytest -q $(TESTS)
endif

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy api schema domain authz
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) groupcover.db .dev-token
