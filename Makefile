# The two commands a newcomer needs: `make demo` and `make test` (both build on `make install`).
# Only Python 3.11+, git and make are assumed; everything else is installed into .venv/.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := zns_notify/locale demo_shop/shop/locale
PYTEST_ARGS ?=
# Playwright (test extras) drives Debian's chromium (`make browser`); it never downloads one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
ARGS ?=

.PHONY: install messages demo test test-sqlite test-postgres test-shifted-clock lint matrix \
	browser bench bench-receipts bench-otp docs docs-serve clean

install: $(STAMP) messages

# Re-run pip only when the project's dependencies or its build step change.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[demo,test,dev]'
	touch $(STAMP)

# Compiled translations are build products, never committed. A wheel compiles zns_notify's
# itself (setup.py); this compiles the demo shop's too, and both again after a .po edit.
messages: $(STAMP)
	@for dir in $(LOCALES); do $(BIN)/pybabel compile --statistics -D django -d $$dir || exit 1; done

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py rundemo $(ARGS)

test: install test-sqlite test-postgres

test-sqlite:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL, when ZNS_TEST_DATABASE_URL names a server (CI sets it).
test-postgres:
	@if [ -n "$$ZNS_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$ZNS_TEST_DATABASE_URL)"; \
		ZNS_TEST_DB=postgres $(BIN)/python -m pytest -m "not slow" --ignore=tests/sandbox $(PYTEST_ARGS); \
	else \
		echo "== ZNS_TEST_DATABASE_URL unset: PostgreSQL pass skipped"; \
	fi

# The newer Django/Python cells (tox.ini): Python 3.12 + Django 6.0 and Python 3.13 +
# Django 6.1, the suite without the slow tests, the Pythons from pyenv.
matrix:
	.ci/matrix $(PYTEST_ARGS)

# The tests that start no server again, with the clock moved to other dates and Vietnamese
# night hours by Debian's faketime (installed when missing); docs/development.md.
test-shifted-clock: install
	.ci/shifted-clock

# Debian's chromium for tests/browser/ (root, Debian/Ubuntu). Without it those tests skip,
# unless ZNS_REQUIRE_BROWSER=1 (as in .ci/run), which fails them. The package index is
# refreshed only when the first attempt fails (a fresh container has no index yet).
CHROMIUM := /usr/bin/chromium
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
browser:
	@if [ -x $(CHROMIUM) ]; then echo "chromium already installed: $(CHROMIUM)"; \
	else $(APT_INSTALL) || { apt-get update && $(APT_INSTALL); }; fi
	@test -x $(CHROMIUM) || { echo "FAIL: $(CHROMIUM) is still missing"; exit 1; }

# The code style CI holds: ruff's lint rules and its formatter (settings in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/hot_path.py

# Receipts through gunicorn on PostgreSQL with wrk (bench/receipts_server.py, docs/performance.md):
# ZNS_BENCH_DATABASE_URL names a database it may drop; ARGS="--quick" for a short run.
bench-receipts: install
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/receipts_server.py $(ARGS)

# One-time codes, request -> on the wire, with and without 10,000 order messages queued
# (bench/otp_latency.py, docs/performance.md). PostgreSQL + Redis from ZNS_TEST_DATABASE_URL
# / ZNS_TEST_REDIS_URL (a fresh database on that server, dropped afterwards); without them
# SQLite only. ARGS="--backlog 2000 --codes 20" for a shorter run.
bench-otp: install
	$(BIN)/python bench/otp_latency.py $(ARGS)

# The documentation site (mkdocs.yml) into site/; --strict fails on a broken link or anchor.
# Only the `docs` extra's pinned tools go into .venv: the site does not import the app.
DOCS_STAMP := $(VENV)/.docs-installed
DOCS_ADDR ?= 127.0.0.1:8001
DOCS_PINS := import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['docs']))
# Without Material's end-of-life banner, which says nothing about this build.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

$(DOCS_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $$($(BIN)/python -c "$(DOCS_PINS)")
	touch $@

docs: $(DOCS_STAMP)
	$(MKDOCS) build --strict

# Live preview at http://$(DOCS_ADDR)/en/latest/ (the path of site_url; 8000 is the demo
# shop), rebuilt on every save of docs/, mkdocs.yml or CHANGELOG.md.
docs-serve: $(DOCS_STAMP)
	$(MKDOCS) serve --dev-addr $(DOCS_ADDR)

clean:
	rm -rf $(VENV) var/ .pytest_cache site/
	find . -name '*.mo' -path '*/LC_MESSAGES/*' -delete
