# Stampede: the two commands a new user needs are `make run` and `make test`.
GO        ?= go
BIN       := bin/stampede
PKGS      := ./...
BENCHTIME ?= 1s

.PHONY: all build run test test-short vet fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/stampede

# run: the main job. Starts the embedded emulator (and, as they land, backend and sensors).
run: build
	./$(BIN) emulator

vet:
	$(GO) vet $(PKGS)

test: vet
	$(GO) test -count=1 -timeout 25m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

# bench: the benchmarks that measure the targets named in the issues; see README.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

clean:
	rm -rf bin
