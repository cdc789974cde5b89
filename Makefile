PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrate demo benchmark soak clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

var:
	mkdir -p var/uploads

## make run: install, migrate, load the demo content and serve on http://$(HOST):$(PORT),
## with the scheduler (publish and unpublish times) and a worker (emails, renditions) beside it;
## Ctrl-C stops all three
run: $(STAMP) var
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true NEWSROOM_SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py run_scheduler & scheduler=$$!; \
	DEBUG=true $(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$scheduler $$worker 2>/dev/null; wait' EXIT; trap 'exit 130' INT TERM; \
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: the whole suite (SQLite and the local-memory cache unless DATABASE_URL/CACHE_URL say
## otherwise), in TEST_PROCESSES processes (pytest-xdist), each in a lane of tests/lanes.py: one
## takes the modules that wait on the servers they start, one the browser tests, two the rest,
## which keep both cores busy meanwhile; TEST_PROCESSES=0 runs it in this one process.
## Bytecode is written (__pycache__, ignored by git) even where PYTHONDONTWRITEBYTECODE is set:
## else each test process rewrites every test's asserts, and each server and worker the suite
## starts compiles the project again.
TEST_PROCESSES ?= 4
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make benchmark: 1,000 and 100,000 articles on PostgreSQL + Redis, with and without caches and
## through nginx, loaded with wrk against a fixed string (benchmarks/README.md); make soak: 60 s
## of 32 mixed readers. The databases (BENCH_DATABASE_URL + _1k, _100k) are kept between runs.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/newsroom_bench
BENCH_CACHE_URL ?= redis://127.0.0.1:6379/7
BENCH_ARGS ?= --articles 1000,100000 --miss --nginx --stock --duration 5
SOAK_ARGS ?= --articles 1000 --soak 60 --soak-clients 32
BENCH_ENV = DATABASE_URL=$(BENCH_DATABASE_URL) CACHE_URL=$(BENCH_CACHE_URL)

benchmark: $(STAMP) var
	command -v wrk >/dev/null || apt-get install -y wrk
	command -v nginx >/dev/null || apt-get install -y nginx
	$(BENCH_ENV) $(BIN)/python benchmarks/run.py $(BENCH_ARGS)

soak: $(STAMP) var
	$(BENCH_ENV) $(BIN)/python benchmarks/run.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) staticfiles var/test-uploads
