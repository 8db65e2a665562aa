# The README's commands. `make test` is what .ci/run calls.
GO      ?= go
TIMEOUT ?= 15m

# Every package but the store and its backends, which run with -race below.
NON_STORE = $$($(GO) list ./... | grep -v -e '/store$$' -e '/store/')

.PHONY: test test-with-db bench bench-scim vet vuln

# vet, then the tests against a PostgreSQL that scripts/test-db.sh provides
# (TEST_DATABASE_URL, else 127.0.0.1:5432, else a throw-away cluster).
test: vet
	scripts/test-db.sh $(MAKE) --no-print-directory test-with-db

# Called by `test` inside scripts/test-db.sh; expects TEST_DATABASE_URL.
test-with-db:
	$(GO) test -race -count=1 -timeout $(TIMEOUT) ./store/...
	$(GO) test -count=1 -timeout $(TIMEOUT) $(NON_STORE)

bench:
	scripts/test-db.sh $(GO) test -run '^$$' -bench . -benchmem -timeout $(TIMEOUT) ./...

# SCIM throughput as ratios to pgbench on the same PostgreSQL, in one run
# (TEST_DATABASE_URL, else 127.0.0.1:5432, else a throw-away cluster).
# BENCH_ARGS=--full for the issue's sizes (100,000 users, then 1,000,000).
BENCH_BIN  ?= /tmp/idbridge-bench
BENCH_ARGS ?=
bench-scim:
	@$(GO) build -o $(BENCH_BIN) ./cmd/idbridge
	@scripts/test-db.sh $(BENCH_BIN) bench scim $(BENCH_ARGS)

vet:
	$(GO) vet ./...

vuln:
	$(GO) run golang.org/x/vuln/cmd/govulncheck@latest ./...
