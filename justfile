# VectorShift integrations. `just` lists the recipes.
set shell := ["bash", "-euo", "pipefail", "-c"]

# List recipes.
default:
    @just --list

# Run the product: Redis, the built UI and the server (sandbox mode without HubSpot credentials).
run: web-build
    scripts/ensure-redis.sh
    cargo run -p server --bin vs-server

# Run every test: Rust (unit, integration, end-to-end, doc, examples), web lint/unit/build, browser,
# and the API contract (Schemathesis).
test: test-rust test-scaffold test-seeds test-web test-browser test-contract

# Rust tests against a real Redis.
test-rust:
    scripts/ensure-redis.sh
    cargo test --workspace --all-targets
    cargo test --workspace --doc

# `just new-provider` keeps its promise: a provider generated in a throwaway copy of the workspace
# compiles, passes conformance and its sandbox test, and is registered, untouched.
test-scaffold:
    scripts/test-scaffold.sh

# Generate a provider: crates/NAME and crates/NAME-sandbox, their tests, the workspace and
# registration lines (then README.md, "Adding a provider").
new-provider NAME:
    scripts/new-provider.sh {{NAME}}

# The tests that talk to the HubSpot sandbox again at other contract seeds: each seed answers
# differently within HubSpot's published specs (cursors, optional fields, errors, index lag).
test-seeds:
    scripts/ensure-redis.sh
    for seed in 1 2 3; do echo "HUBSPOT_SANDBOX_SEED=$seed"; HUBSPOT_SANDBOX_SEED=$seed cargo test -p hubspot --tests; HUBSPOT_SANDBOX_SEED=$seed cargo test -p e2e --test e2e; done

# Web lint, type check, unit tests and production build.
test-web: web-deps
    npm --prefix web run lint
    npm --prefix web run typecheck
    npm --prefix web run test
    npm --prefix web run build

# Browser end-to-end: real Chromium against the real server in sandbox mode with a real Redis.
test-browser: web-build
    scripts/ensure-redis.sh
    scripts/ensure-chromium.sh
    scripts/browser-tests.sh

# API contract: Schemathesis (`--checks all`) against the real server's served OpenAPI, in sandbox
# mode, once with AUTH_MODE=dev and once with AUTH_MODE=jwt (scripts/schemathesis.sh).
test-contract:
    scripts/ensure-redis.sh
    scripts/schemathesis.sh

# Format everything.
fmt: web-deps
    cargo fmt --all
    npm --prefix web run format --if-present

# Lint everything (what CI enforces).
lint: web-deps
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    npm --prefix web run lint

# Benchmarks (numbers go to docs/benchmarks.md).
bench:
    scripts/ensure-redis.sh
    cargo bench --workspace

# Install the web dependencies when the lockfile changed.
web-deps:
    if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then npm --prefix web ci --no-audit --no-fund; fi

# Build the UI into web/dist (served by the server at /).
web-build: web-deps
    npm --prefix web run build
