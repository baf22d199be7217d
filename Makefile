# Build, test and run targets for caddy-minimize. CI runs `make test` via
# .ci/run; everything here needs only Go (plus gcc, which -race uses).

SHELL    := /bin/bash
GO       ?= go
GOFMT    ?= gofmt
BIN      := bin
FUZZTIME ?= 30s
FUZZ_PKGS ?= ./rules/... ./module/...

# Demo-only master key for `make run` (base64 of the 32 ASCII bytes
# "DEMO-ONLY-KEY-do-not-use-in-prod"). It is public: never use it for real
# data. Set MINIMIZE_KEY in the environment to override. Deliberately not
# exported globally, so it cannot leak into the tests.
MINIMIZE_KEY ?= REVNTy1PTkxZLUtFWS1kby1ub3QtdXNlLWluLXByb2Q=

# Unit-tested packages: only those directories that exist and hold Go files,
# so `make unit` keeps working while module/ (or rules/) is still being
# written. (`go test ./missing/...` fails; a package without _test files is
# merely reported as "[no test files]".)
UNIT_PKGS = $(foreach d,rules module loadtest internal,$(if $(shell find $(d) -name '*.go' 2>/dev/null | head -n 1),./$(d)/...))

.PHONY: all caddy run fmt-check vet staticcheck lint unit e2e test bench loadtest fuzz clean

all: caddy

# Always delegate to go build: it is incremental (relinks only when an input
# changed, ~1s otherwise), so this is never stale and never needlessly slow.
caddy:
	$(GO) build -o $(BIN)/caddy ./cmd/caddy

# The caddy command line is @-silenced so a real key taken from the
# environment is never echoed.
run: caddy
	@test -f caddyfile/demo.Caddyfile || { echo "caddyfile/demo.Caddyfile is missing" >&2; exit 1; }
	@echo "$(BIN)/caddy run --config caddyfile/demo.Caddyfile --adapter caddyfile"
	@MINIMIZE_KEY='$(MINIMIZE_KEY)' $(BIN)/caddy run --config caddyfile/demo.Caddyfile --adapter caddyfile

fmt-check:
	@out="$$($(GOFMT) -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck finds what vet does not (unused code, deprecated APIs). It is
# pinned and comes through the module proxy like any dependency.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
staticcheck:
	$(GO) run $(STATICCHECK) ./...

lint: fmt-check vet staticcheck

# The load test's own tests start the real binary too (CADDY_BIN).
unit: caddy
	@if [ -z "$(strip $(UNIT_PKGS))" ]; then echo "unit: no packages yet"; \
	else echo "$(GO) test -race -count=1 $(UNIT_PKGS)"; CADDY_BIN=$(abspath $(BIN)/caddy) $(GO) test -race -count=1 $(UNIT_PKGS); fi

# The e2e tests drive the real binary; handing it over via CADDY_BIN keeps
# them from building their own copy.
e2e: caddy
	CADDY_BIN=$(abspath $(BIN)/caddy) $(GO) test -race -count=1 ./e2e/...

test: lint unit e2e

# Engine benchmarks beside their baselines (encoding/json, gjson.Valid), and
# the whole gateway in one process (module/gateway_bench_test.go: Caddy with
# loadtest/'s Caddyfiles) beside plain reverse_proxy, with the ratios
# computed from the same run: medians over BENCHCOUNT passes. Each
# pass runs every benchmark once (not -count, which repeats one benchmark
# back to back), so a slow spell of a shared machine hits one pass, not every
# sample of the benchmarks it falls on.
BENCHCOUNT ?= 3
bench:
	set -o pipefail; for i in $$(seq $(BENCHCOUNT)); do \
		$(GO) test -run '^$$' -bench . -benchmem ./rules/... ./module/... || exit 1; \
	done | $(GO) run ./internal/benchratio

# The gateway end to end (issue 7): the real binary as (a) reverse_proxy,
# (b) reverse_proxy with request_buffers and (c) minimize + reverse_proxy, in
# front of one upstream, driven by the Go load generator in loadtest/ (closed
# loop, loopback only, three rounds of every cell: about five minutes).
# Not part of `make test`.
# LOADTEST_FLAGS passes flags, e.g. LOADTEST_FLAGS='-duration 10s -concurrency 16'.
LOADTEST_FLAGS ?=
loadtest: caddy
	$(GO) run ./loadtest -caddy $(BIN)/caddy -dir loadtest $(LOADTEST_FLAGS)

# Runs every Fuzz target of every package in FUZZ_PKGS for FUZZTIME each
# (go test -fuzz accepts one package and one target per run).
fuzz:
	@set -e; found=0; pkgs="$$($(GO) list $(FUZZ_PKGS))"; \
	for pkg in $$pkgs; do \
		list="$$($(GO) test -list '^Fuzz' $$pkg)"; \
		for fn in $$(printf '%s\n' "$$list" | grep '^Fuzz' || true); do \
			found=1; \
			echo "== $$pkg $$fn ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done; \
	if [ $$found = 0 ]; then echo "fuzz: no Fuzz targets in $(FUZZ_PKGS)"; fi

clean:
	rm -rf $(BIN)
