# Everything a developer or CI runs. `make run` and `make test` are the only two a newcomer needs.
SHELL := /bin/bash
PORT ?= 8000
PYTHON ?= python3.12
VENV := .venv
PY := $(VENV)/bin/python
CIVICDESK := $(PY) -m civicdesk.cli
PG_URL ?= postgres://postgres@127.0.0.1:5432/civicdesk

.PHONY: install run test test-sqlite test-postgres test-tasks lint bench messages clean

# uv comes from PyPI when the machine lacks it; pyenv's .python-version picks Python 3.12.
$(VENV)/.installed: pyproject.toml uv.lock package.json package-lock.json
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv
	@UV="$$(command -v uv || echo $(PYTHON) -m uv)"; $$UV sync --frozen --python 3.12 --quiet
	npm ci --silent --no-audit --no-fund
	touch $@

install: $(VENV)/.installed

# Links in e-mails and Open311 discovery point where the site is served, unless SITE_URL says otherwise.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
# Every process production runs: web, task worker, the outbox sweep (messages of a killed worker,
# slow retries), the SLA watcher and the SMTP receiver (port 2525: no root needed; mail to any
# address @civicdesk.localhost becomes a case).
run: export INBOUND_EMAIL_DOMAINS ?= civicdesk.localhost
run: install
	mkdir -p var
	DEBUG=true $(CIVICDESK) migrate --noinput
	DEBUG=true $(CIVICDESK) load_demo --if-empty
	@echo "CivicDesk: $$SITE_URL/  (demo logins in README.md)"
	trap 'kill 0' EXIT INT TERM; \
	  DEBUG=true $(CIVICDESK) db_worker & \
	  DEBUG=true $(CIVICDESK) deliver_outbox --interval 15 & \
	  DEBUG=true $(CIVICDESK) sla_watch --interval 30 & \
	  DEBUG=true $(CIVICDESK) smtpd & \
	  DEBUG=true $(CIVICDESK) runserver 127.0.0.1:$(PORT)

# The task pass: the tests whose queued tasks run (see conftest.py), again with the broker-backed
# backend: tasks queued on Redis Streams (django-tasks-redis) and run by its worker code, the cache
# and rate limits on Redis too. Each xdist worker gets its own Redis databases (settings_test.py).
REDIS_URL ?= redis://127.0.0.1:6379
TASK_PASS := TASKS_BACKEND=redis CACHE_URL=$(REDIS_URL)/10 TASKS_REDIS_URL=$(REDIS_URL)/11 CIVICDESK_TASK_PASS=1

# The whole suite on SQLite, then on PostgreSQL when it answers (CI makes sure it does), then the
# task pass on Redis (on PostgreSQL when it answers).
test: install
	$(PY) -m pytest -n 2
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  DATABASE_URL=$(PG_URL) $(PY) -m pytest -n 2; \
	elif [ -n "$$CI" ]; then echo "PostgreSQL is not running: CI needs it" >&2; exit 1; \
	else echo "PostgreSQL not running here: skipped the PostgreSQL pass"; fi
	@$(MAKE) --no-print-directory test-tasks

test-tasks: install
	@if ! $(PY) -c "import redis; redis.Redis.from_url('$(REDIS_URL)', socket_connect_timeout=2).ping()" 2>/dev/null; then \
	  if [ -n "$$CI" ]; then echo "Redis is not running: CI needs it" >&2; exit 1; fi; \
	  echo "Redis not running here: skipped the task pass"; \
	elif pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  $(TASK_PASS) DATABASE_URL=$(PG_URL) $(PY) -m pytest -n 2; \
	else $(TASK_PASS) $(PY) -m pytest -n 2; fi

test-sqlite: install
	$(PY) -m pytest -n 2

test-postgres: install
	DATABASE_URL=$(PG_URL) $(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

bench: install
	$(PY) bench/run_all.py

messages: install
	DEBUG=true $(CIVICDESK) makemessages -l es --no-obsolete --ignore=.venv --ignore=node_modules --ignore=var --ignore=bench
	DEBUG=true $(CIVICDESK) compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules var
