PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrate demo benchmark clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

var:
	mkdir -p var/uploads

## make run: install, migrate, load the demo content and serve on http://$(HOST):$(PORT),
## with the scheduler (publish and unpublish times) beside it; Ctrl-C stops both
run: $(STAMP) var
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true NEWSROOM_SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: the whole suite (SQLite and the local-memory cache unless DATABASE_URL/CACHE_URL say otherwise)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make benchmark: load the pages with wrk against a fixed string; BENCH_ARGS="--duration 5" etc.
benchmark: $(STAMP) var
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles var/test-uploads
