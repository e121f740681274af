# Stampede: the two commands a new user needs are `make run` and `make test`.
GO        ?= go
BIN       := bin/stampede
PKGS      := ./...
BENCHTIME ?= 1s

.PHONY: all build run emulator test test-short vet fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/stampede

SCENARIO  ?= ci-gate

# run: the main job. Runs a scenario (default ci-gate) end to end in one process: emulator,
# backend and sensors; writes the run folder under runs/ and exits 0 / 99 / 2 / 1.
run: build
	./$(BIN) run $(SCENARIO)

# emulator: the Cosmos DB emulator alone, on 127.0.0.1:8081 with the well-known key.
emulator: build
	./$(BIN) emulator

vet:
	$(GO) vet $(PKGS)

test: vet
	$(GO) test -count=1 -timeout 25m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

FUZZTIME  ?= 10s

# fuzz: every Fuzz target in the tree for FUZZTIME each (go test -fuzz takes one at a time).
fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do \
		dir=$$(dirname $$f); \
		for fn in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do \
			echo "fuzz $$dir $$fn"; \
			$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$dir || exit 1; \
		done; \
	done

# bench: the benchmarks that measure the targets named in the issues; see README.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

clean:
	rm -rf bin
