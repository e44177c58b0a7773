# vtok: `make test` builds and runs every test; `make demo` encodes and decodes sample images.
SWIFT ?= swift
CONFIG ?= release
CORETYPE := $(shell scripts/blas-coretype.sh)
export OPENBLAS_CORETYPE ?= $(CORETYPE)

.PHONY: deps build test clean

deps:
	@scripts/check-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

# Release mode: the numeric tests (gradient checks, model passes) run 10-100x slower in debug.
test: deps
	$(SWIFT) build -c $(CONFIG)
	$(SWIFT) test -c $(CONFIG) -Xswiftc -enable-testing

clean:
	rm -rf .build
