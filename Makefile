# kindred: the two commands a new user needs are `make demo` and `make test`; each does its
# own set-up (.venv with the Python packages, the pinned npm Firestore emulator and maildev).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BENCH_INSTALLED := $(VENV)/.bench-installed
NODE_INSTALLED := infra/firestore-emulator/node_modules/.installed
MAILDEV_INSTALLED := infra/maildev/node_modules/.installed
# The results page's browser test drives Debian's Chromium (Playwright cannot fetch its own).
BROWSER_INSTALLED := /usr/bin/chromium
# webdataset opens http(s) shard URLs by running `curl` (the streaming tests read them so).
CURL_INSTALLED := /usr/bin/curl
PYTEST := $(BIN)/pytest -p no:cacheprovider

.PHONY: setup demo test test-unit test-functions test-integration test-e2e lint format up down ps \
	bench bench-quick clean

setup: $(INSTALLED) $(NODE_INSTALLED) $(MAILDEV_INSTALLED)

$(INSTALLED): pyproject.toml functions/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

$(NODE_INSTALLED): infra/firestore-emulator/package.json infra/firestore-emulator/package-lock.json
	cd infra/firestore-emulator && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The local stack's mail server (npm maildev, pinned by its lock file).
$(MAILDEV_INSTALLED): infra/maildev/package.json infra/maildev/package-lock.json
	cd infra/maildev && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BROWSER_INSTALLED):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "The browser tests need Debian's chromium at $@; as root: apt-get install -y chromium"; \
		exit 1; \
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
	test -x $@

$(CURL_INSTALLED):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "The streaming tests need curl at $@ (webdataset runs it); as root: apt-get install -y curl"; \
		exit 1; \
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl
	test -x $@

## The main job: start the local stack (if it is not up), analyse the first 1,000 followers of
## the bundled graph's largest account, print the similar accounts and where to see them.
demo: setup
	$(BIN)/kindred demo

## The whole suite: lint, then every test tier (pytest's exit 5, "no tests", fails too), the
## files spread over TEST_WORKERS pytest-xdist workers (each its own stack on free ports).
TEST_WORKERS ?= 2
test: setup $(BROWSER_INSTALLED) $(CURL_INSTALLED) lint
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile tests

test-unit: setup
	$(PYTEST) -m unit tests

test-functions: setup
	$(PYTEST) -m functions tests

test-integration: setup $(CURL_INSTALLED)
	$(PYTEST) -m integration tests

test-e2e: setup $(BROWSER_INSTALLED)
	$(PYTEST) -m e2e tests

## Every benchmark figure (under 30 minutes on 2 cores); writes bench/results.json,
## bench/growth.png and the table in bench/README.md.
bench: setup $(BENCH_INSTALLED)
	$(BIN)/python -m bench

## The same at smaller sizes, in under 5 minutes.
bench-quick: setup $(BENCH_INSTALLED)
	$(BIN)/python -m bench --quick

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --strict functions/kindred/core functions/kindred/services

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

up: setup
	$(BIN)/kindred up

down: setup
	$(BIN)/kindred down

ps: setup
	$(BIN)/kindred ps

clean:
	-test -x $(BIN)/kindred && $(BIN)/kindred down
	rm -rf $(VENV) .kindred infra/firestore-emulator/node_modules infra/maildev/node_modules
