# The README's commands. `make test` is what .ci/run calls.
GO      ?= go
TIMEOUT ?= 15m

# Every package but the store and its backends, which run with -race below.
NON_STORE = $$($(GO) list ./... | grep -v -e '/store$$' -e '/store/')

.PHONY: test test-with-db bench vet vuln

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

vet:
	$(GO) vet ./...

vuln:
	$(GO) run golang.org/x/vuln/cmd/govulncheck@latest ./...
