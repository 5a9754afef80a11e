# Watchkeeper — build, test and run locally. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

FUNCTIONS := notifier remediator detector sweeper
GO        ?= go
CONFIG    ?= watchkeeper.local.yaml
FN        ?= notifier
EVENT     ?= events/notifier/sns-alarm-cpu.json
STACK     ?= Watchkeeper

# Offline, quiet CDK and npm: no notices, no telemetry, no update checks, no Node EOL banners.
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION := 1
# jsii takes the end-of-life majors to silence as a list (Node 20 left support on 2026-10-30).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 18,20
export NPM_CONFIG_UPDATE_NOTIFIER := false
export NPM_CONFIG_FUND := false
export NPM_CONFIG_AUDIT := false
export NO_UPDATE_NOTIFIER := 1

# Lambda build flags (see README "Build"): linux/arm64, static, no RPC shim, reproducible.
LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -buildvcs=false -ldflags='-s -w'

RIE        := build/tools/aws-lambda-rie

.PHONY: help
help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: deps
deps: node_modules/.installed $(RIE) moto ## Install Go modules, the pinned CDK CLI, the Runtime Interface Emulator, moto
	$(GO) mod download

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The emulator is pinned in go.mod (a `tool` line), so this installs exactly that version.
$(RIE): go.mod go.sum
	@$(GO) run ./shared/cmd/wk rie -dir $(dir $@) >/dev/null

.PHONY: moto
moto: ## Make sure moto_server (moto 5) is on PATH
	@command -v moto_server >/dev/null || python3 -m pip install --quiet 'moto[server]>=5,<6'
	@command -v moto_server >/dev/null || { echo "moto_server not found; install it with: pip install 'moto[server]'" >&2; exit 2; }

.PHONY: build
build: ## Cross-compile every function to build/<name>/bootstrap (linux/arm64)
	@for fn in $(FUNCTIONS); do \
	  mkdir -p build/$$fn; \
	  echo "go build -> build/$$fn/bootstrap"; \
	  $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o build/$$fn/bootstrap ./functions/$$fn; \
	done

.PHONY: vet
vet: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: test
test: deps vet build ## Everything CI runs: vet, unit + moto + emulator + CDK tests, synth, cfn-lint
	PATH="$(CURDIR)/build/tools:$$PATH" $(GO) test -count=1 -timeout 25m ./...
	$(MAKE) --no-print-directory synth
	$(MAKE) --no-print-directory lint-template

.PHONY: synth
synth: node_modules/.installed build ## Synthesize the CloudFormation template offline into cdk.out/
	npx --no-install cdk synth --quiet --no-notices --no-version-reporting

# Errors fail the build; warnings are printed. W3005 is ignored: the CDK adds an
# explicit DependsOn on a function's role next to the GetAtt that implies it.
CFN_LINT_FLAGS := --non-zero-exit-code error --ignore-checks W3005
.PHONY: lint-template
lint-template: ## cfn-lint the synthesized template (skipped when cfn-lint is absent)
	@ls cdk.out/*.template.json >/dev/null 2>&1 || { echo "no template in cdk.out/: run make synth first" >&2; exit 2; }
	@if command -v cfn-lint >/dev/null; then \
	  echo "cfn-lint cdk.out/*.template.json $(CFN_LINT_FLAGS)"; cfn-lint cdk.out/*.template.json $(CFN_LINT_FLAGS); \
	else echo "cfn-lint not on PATH: skipped"; fi

# wk is built (not `go run`) so its exit status reaches the shell unchanged.
WK := build/tools/wk
.PHONY: $(WK)
$(WK):
	@mkdir -p $(dir $@)
	@$(GO) build -o $@ ./shared/cmd/wk

.PHONY: invoke
invoke: $(RIE) $(WK) ## Run one function on one event under the emulator: make invoke FN=notifier EVENT=events/... [CONFIG=...]
	@$(WK) invoke -fn $(FN) -event $(EVENT) -config $(CONFIG)

.PHONY: demo
demo: $(RIE) $(WK) moto ## Replay every sample event through the functions against a local moto account
	@$(WK) demo -config $(CONFIG)

.PHONY: redrive
redrive: $(WK) ## Replay a function's on-failure queue in your account: make redrive FN=notifier [STACK=Watchkeeper]
	@$(WK) redrive -fn $(FN) -stack $(STACK)

.PHONY: silence
silence: $(WK) ## Add, list or expire silences in your account: make silence ARGS='add -matcher alarm=~"web-.*" -duration 2h -comment deploy' [STACK=Watchkeeper]
	@$(WK) silence $(or $(value ARGS),help) -stack $(STACK)

.PHONY: test-pattern
test-pattern: $(WK) ## Which lines of a log file a filter pattern matches: make test-pattern PATTERN='{ $$.level = "ERROR" }' FILE=app.log
	@$(WK) test-pattern -pattern '$(value PATTERN)' -file $(or $(FILE),-)

.PHONY: bench
bench: ## Benchmarks (speed and memory)
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./shared/...

FUZZTIME ?= 20s
.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./shared/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

.PHONY: clean
clean: ## Remove generated files
	rm -rf build cdk.out out

.PHONY: audit
audit: $(WK) ## List the audit records of your deployed stack: make audit ARGS='-since 7d -kind finding' [STACK=Watchkeeper]
	@$(WK) audit $(value ARGS) -stack $(STACK)
