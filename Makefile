# The operator's entry points. Each installs what it needs (see tests/setup.sh).
.PHONY: demo doctor test invoke bench bench-instructions bench-bulk validate build deploy clean fuzz

## make demo: onboarding, a move and its undo, and offboarding in the sample org, locally (simulator, moto, the real binaries)
demo:
	@bash tests/setup.sh harness
	@echo "==> building the function binaries and the simulator (debug; the first build takes a few minutes)" >&2
	@cargo build --bins --quiet
	@.venv/bin/python tests/local/demo.py $(ARGS)

## make doctor: read-only check of the Okta connection before deploying (OKTA_SECRET_ID or OKTA_ORG_URL + credentials, as make invoke; without them the simulator's sample org); ARGS=--json
doctor:
	@if [ -n "$${OKTA_SECRET_ID:-}$${OKTA_ORG_URL:-}" ]; then \
		cargo run --quiet -p okta-lifecycle --example doctor -- $(ARGS); \
	else \
		bash tests/local/sample-org.sh doctor $(ARGS); \
	fi

## make test: the whole test suite (what CI runs)
test:
	bash tests/run-all.sh

## make invoke FN=get-user DATA=tests/events/get-user/stepfunctions.json: one action, locally (OKTA_SECRET_ID or OKTA_ORG_URL + credentials; without them the simulator's sample org)
invoke:
	@if [ -n "$${OKTA_SECRET_ID:-}$${OKTA_ORG_URL:-}" ]; then \
		cargo run --quiet -p okta-lifecycle --example invoke -- $(FN) $(DATA); \
	else \
		bash tests/local/sample-org.sh invoke $(FN) $(DATA); \
	fi

## make bench: binary size, cold start, memory and latency of the release binaries, against Python
bench:
	bash bench/run.sh $(ARGS)

## make bench-instructions: instructions to each connection form's first answer, under callgrind (needs valgrind)
bench-instructions:
	python3 bench/instructions.py $(ARGS)

## make fuzz: the long fuzz run (10^6 generated hostile events by default; FUZZ_EVENTS, FUZZ_SEED), niced
fuzz:
	nice -n 19 cargo test -p okta-lifecycle-tests --test hostile_events fuzz_run -- --ignored --nocapture

## make bench-bulk: 2,000 users offboarded by the real binaries at Okta's published limits (time-scaled simulator)
bench-bulk:
	@bash tests/setup.sh harness
	@cargo build --bins --quiet
	.venv/bin/python bench/bulk.py $(ARGS)

## make validate: template and state machine validators only
validate:
	bash tests/infra/validate.sh

## make build: the deployable build (sam build, release, x86_64 here; arm64 is the template's default)
build:
	bash tests/infra/validate.sh --build

## make deploy: check the prerequisites, ask what has no safe default, build and deploy (infra/deploy.sh)
deploy:
	@bash infra/deploy.sh

clean:
	cargo clean
	rm -rf .venv .aws-sam tests/infra/node_modules
