# Rayport: `make run` serves the portal on its embedded default; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

# The test suite runs against real PostgreSQL and Redis (override to use others).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/rayport
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14

.PHONY: run test install install-dev services browser lint typecheck pytest messages clean viewer pdfjs

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null || { echo "Rayport needs Python 3.11 ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed-run

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

install-dev: $(VENV)/.installed-dev

## run: migrate, create the first administrator, serve on http://127.0.0.1:8000 with a worker.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_admin
	$(PY) manage.py runportal --addr 127.0.0.1:8000

## test: install what the tests need, start PostgreSQL and Redis if stopped, lint, type-check, test.
test: install-dev services browser lint typecheck
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

pytest: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: install-dev
	$(VENV)/bin/mypy .

services:
	@bash scripts/ensure-services.sh

browser:
	@bash scripts/install-system-packages.sh

## messages: refresh the Spanish catalogue after changing strings, then translate and compile.
messages: install-dev
	$(PY) manage.py makemessages -l es --no-obsolete --add-location file --ignore=.venv --ignore=data --ignore=node_modules --ignore=static
	$(PY) manage.py compilemessages -l es --ignore=.venv

## viewer: rebuild the image viewer's bundle (static/viewer/, committed) from viewer/ with Node 20 and npm.
viewer:
	cd viewer && npm ci --no-audit --no-fund && node build.mjs

## pdfjs: copy pdf.js (static/vendor/pdfjs/, committed) from the pinned pdfjs-dist, apart from the viewer's bundle.
pdfjs:
	cd scripts/pdfjs && npm ci --no-audit --no-fund --ignore-scripts --omit=optional && node vendor.mjs

clean:
	rm -rf $(VENV) data
