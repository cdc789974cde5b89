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
## otherwise), in TEST_PROCESSES processes (pytest-xdist): much of it waits on browsers, servers
## and clocks, so more processes than cores pay (three on two cores: 3:14-3:41 on 322-377 s of
## CPU on the evening of 7 December 2026, where the commit before tests/launcher.py, run in turn
## with it, took 3:24-4:09 on 350-437 s; around midnight, each run in turn with three, four
## processes took 3:47 and 3:25 against 3:19 and 3:39, the cores busier but each run's CPU up
## by as much, and the browser tests taking turns with the fault tests 3:43 and 3:49 against
## 3:35 and 3:37);
## TEST_PROCESSES=0 runs it in this one process.
## Bytecode is written (__pycache__, ignored by git) even where PYTHONDONTWRITEBYTECODE is set:
## else each test process rewrites every test's asserts, and each server and worker the suite
## starts compiles the project again.
TEST_PROCESSES ?= 3
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
