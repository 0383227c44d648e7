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

.PHONY: install messages demo test test-sqlite test-postgres matrix browser bench clean

install: $(STAMP) messages

# Re-run pip only when the project's dependencies change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

# Compiled translations are build products: built here, never committed.
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

# Debian's chromium for tests/browser/ (root, Debian/Ubuntu). Without it those tests skip,
# unless ZNS_REQUIRE_BROWSER=1 (as in .ci/run), which fails them. The package index is
# refreshed only when the first attempt fails (a fresh container has no index yet).
CHROMIUM := /usr/bin/chromium
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
browser:
	@if [ -x $(CHROMIUM) ]; then echo "chromium already installed: $(CHROMIUM)"; \
	else $(APT_INSTALL) || { apt-get update && $(APT_INSTALL); }; fi
	@test -x $(CHROMIUM) || { echo "FAIL: $(CHROMIUM) is still missing"; exit 1; }

bench: install
	$(BIN)/python bench/hot_path.py

clean:
	rm -rf $(VENV) var/ .pytest_cache
	find . -name '*.mo' -path '*/LC_MESSAGES/*' -delete
