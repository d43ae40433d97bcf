# Two commands do all set-up: `make run` and `make test`. Everything lands in .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve setup test lint messages ci clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Migrate, load the national region tree, the public holidays and the demo (all idempotent), then serve.
setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_regions
	$(PY) manage.py load_holidays
	$(PY) manage.py seed_demo

run: setup serve

serve: install
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

# Developers only (needs GNU gettext and polib): extract, translate from locale/id_translations.py,
# compile. The compiled .mo files are committed, so a fresh machine needs none of this.
messages: install
	$(PY) manage.py makemessages -l id -l en --ignore=.venv --ignore=staticfiles --ignore=tests --no-obsolete
	$(PY) locale/apply_translations.py
	$(PY) manage.py compilemessages --ignore=.venv

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

# Every benchmark (bench/run.py): coverage recalculation, progress pages, API under wrk, member
# import, on national-size data in PostgreSQL (127.0.0.1:5432, user postgres) with Redis; results
# in docs/performance.md. Not part of `make test` or CI. wrk comes from Debian.
.PHONY: bench
bench: install
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(PY) bench/run.py $(BENCH_ARGS)
