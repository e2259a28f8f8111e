# Crossdock developer commands. `make` lists them.
# The scripts do the work (scripts/*.sh); this file only names the entry points.

# The services, in one place (scripts/lib.sh reads this line too).
SERVICES := catalog orders inventory warehouse procurement billing support

# Build cache outside the clone, so CI's fresh clone (and every worktree)
# reuses the compiled dependencies.
CARGO_TARGET_DIR ?= $(HOME)/.cache/crossdock/target
export CARGO_TARGET_DIR

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

.PHONY: help run down demo fuzz test token fmt lint openapi train-triage bench load load-capacity images chart stack-up stack-down clean-stack

help: ## List the targets
	@echo "Usage: make <target>"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Start PostgreSQL, Kafka and every service; print URLs and an ops token
	scripts/run.sh up

down: ## Stop the services and the stack
	scripts/run.sh down

demo: ## The README walkthrough as a script: product, stock, channel, order, pick, pack, ship (waits like a client)
	scripts/demo.sh

fuzz: ## Long property-based run of every service against its OpenAPI document (schemathesis); FUZZ_SEED=... repeats one
	scripts/fuzz.sh full

test: ## fmt check, clippy, every test against the real stack (what CI runs)
	scripts/test.sh

# Prints only the token on stdout, so TOKEN=$(make -s token ROLE=ops) works.
# The secret is the one the local services verify with (.stack/dev-secret).
token: ## Print a dev JWT: make token ROLE=ops[,buyer] | make token CHANNEL=amazon-de
	@if [[ -z "$(ROLE)$(CHANNEL)" ]]; then \
	  echo "usage: make token ROLE=ops[,buyer,...]  |  make token CHANNEL=amazon-de" >&2; exit 2; fi
	@. scripts/lib.sh && CROSSDOCK_DEV_SECRET="$$(dev_secret)" \
	  cargo run -q -p platform --bin mint-token -- --role "$(ROLE)" --channel "$(CHANNEL)"

fmt: ## Format all Rust code
	cargo fmt --all

lint: ## Check formatting and run clippy (warnings are errors)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# Written through a temp file so a failing binary never leaves a truncated
# document behind (a test compares these files with the code).
openapi: ## Regenerate docs/openapi/<service>.json from the service binaries
	cargo build $(addprefix -p ,$(SERVICES))
	@mkdir -p docs/openapi
	@for svc in $(SERVICES); do \
	  "$(CARGO_TARGET_DIR)/debug/$$svc" openapi >"docs/openapi/$$svc.json.tmp"; \
	  mv "docs/openapi/$$svc.json.tmp" "docs/openapi/$$svc.json"; \
	  echo "docs/openapi/$$svc.json"; \
	done

train-triage: ## Retrain support's triage model from its corpus (release): services/support/triage/model.json and docs/triage.md
	cargo run --release -p support --bin train-triage

bench: ## Figures for docs/benchmarks.md (release build): catalog lookups; order intake, placed -> confirmed; warehouse scans, events to shipped; forecasts, replenishment, receipts; settlement import, margin queries; triage latency, tickets ingested
	scripts/bench.sh
	scripts/bench-orders.sh
	scripts/bench-warehouse.sh
	scripts/bench-procurement.sh
	scripts/bench-billing.sh
	scripts/bench-support.sh

# LOAD_ARGS go to crossdock-load, e.g. make load LOAD_ARGS="--rate 400 --duration 120".
load: ## Peak-season load run against the local stack (release): scenarios, invariants, reports in load-tests/results/
	scripts/load.sh run $(LOAD_ARGS)

load-capacity: ## Capacity search: step the order rate until p99 placed -> confirmed passes 500 ms or errors appear
	scripts/load.sh capacity $(LOAD_ARGS)

IMAGE_REGISTRY ?= ghcr.io/crossdock
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)

images: ## Build one container image per service (needs a Docker engine): IMAGE_REGISTRY=... IMAGE_TAG=...
	@for svc in $(SERVICES); do \
	  echo "==> $(IMAGE_REGISTRY)/$$svc:$(IMAGE_TAG)"; \
	  docker build --build-arg SERVICE=$$svc -t "$(IMAGE_REGISTRY)/$$svc:$(IMAGE_TAG)" . || exit 1; \
	done

chart: ## Validate the Helm chart offline: lint, render, Kubernetes schemas, security scan, env vars (part of make test)
	scripts/check-chart.sh

stack-up: ## Start only PostgreSQL and Kafka
	scripts/stack.sh up

stack-down: ## Stop only PostgreSQL and Kafka
	scripts/stack.sh down

clean-stack: ## Stop everything and delete the stack's data (keeps the build and download caches)
	scripts/run.sh down
	scripts/stack.sh clean
