# rollspec: make help lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
FUZZTIME ?= 60s

export GOBIN := $(BIN)
export PATH := $(BIN):$(PATH)

# make install copies bin/rollspec to $(DESTDIR)$(PREFIX)/bin.
PREFIX ?= /usr/local

.PHONY: help build install test lint fuzz golden bench e2e e2e-cluster e2e-update image clean

help: ## list the targets
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/rollspec and bin/rollspec-status (static)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rollspec ./cmd/rollspec
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rollspec-status ./cmd/rollspec-status

install: build ## install rollspec into PREFIX/bin (default /usr/local; PREFIX=~/.local needs no root)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN)/rollspec $(DESTDIR)$(PREFIX)/bin/rollspec
	@echo "installed $(DESTDIR)$(PREFIX)/bin/rollspec"

test: build ## run the unit, golden and CLI tests
	$(GO) test ./...

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	@test -x $(BIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(BIN)/staticcheck ./...

fuzz: ## run each fuzz target for FUZZTIME (default 60s)
	$(GO) test ./fn/api -run '^$$' -fuzz '^FuzzParseRelease$$' -fuzztime $(FUZZTIME)
	$(GO) test ./fn -run '^$$' -fuzz '^FuzzProcess$$' -fuzztime $(FUZZTIME)
	$(GO) test ./fn/krmio -run '^$$' -fuzz '^FuzzParallelRead$$' -fuzztime $(FUZZTIME)

bench: build ## Go benchmarks side by side, then the whole-process comparison (docs/PERFORMANCE.md)
	$(GO) build -o $(BIN)/krm-identity ./cmd/krm-identity
	./scripts/install-tools.sh
	$(GO) test ./fn -run '^$$' -bench 'BenchmarkFunction' -benchmem
	$(GO) run ./cmd/rollspec-bench --bin $(BIN) --reps 7

e2e: ## run the end-to-end tests with real kustomize, kpt, Helm 3 and 4, and the Argo CD plugin commands
	./scripts/install-tools.sh
	$(GO) test -tags e2e -count=1 ./cmd/rollspec -run 'Kustomize|Kpt|ArgoCD|Flux|Helm|RealWorld'

e2e-cluster: ## run the tests against a real control plane (scripts/cluster; first build ~10 min, then cached)
	./scripts/install-tools.sh
	@state=$$(mktemp -d); trap "scripts/cluster/down.sh $$state" EXIT; \
	kc=$$(scripts/cluster/up.sh $$state) && \
	KUBECONFIG=$$kc $(GO) test -tags e2e -count=1 -timeout 30m ./cmd/rollspec -run 'Cluster' -v 2>&1 | grep -Ev '^=== (RUN|PAUSE|CONT)'; exit $${PIPESTATUS[0]}

e2e-update: ## rewrite testdata/e2e from the tools' output; review the diff
	./scripts/install-tools.sh
	$(GO) test -tags e2e -count=1 ./cmd/rollspec -run 'Kustomize|Kpt|ArgoCD|Flux|Helm|RealWorld' -update-e2e

image: build ## build dist/rollspec-image.tar: rollspec, kustomize and helm, no shell (OCI layout tarball, no container engine needed)
	./scripts/install-tools.sh kustomize helm
	$(GO) run ./cmd/rollspec-image --binary $(BIN)/rollspec --tool kustomize=$(BIN)/kustomize --tool helm=$(BIN)/helm --output dist/rollspec-image.tar --version $(VERSION)
	@ls -l dist/rollspec-image.tar

golden: ## rewrite testdata/golden/*/expected.yaml; review the diff before committing
	$(GO) test ./fn -run TestGolden -update

clean: ## remove build output
	rm -rf $(BIN) dist
