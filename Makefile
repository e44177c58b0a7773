# vtok: `make test` builds and runs every test; `make demo` encodes and decodes sample images.
SWIFT ?= swift
CONFIG ?= release
CORETYPE := $(shell scripts/blas-coretype.sh)
export OPENBLAS_CORETYPE ?= $(CORETYPE)

IMAGES ?= ../shared/data/kodak
VTOK = .build/$(CONFIG)/vtok

.PHONY: deps build test demo report bench clean

deps:
	@scripts/check-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

# Release mode: the numeric tests (gradient checks, model passes) run 10-100x slower in debug.
test: deps
	$(SWIFT) build -c $(CONFIG)
	$(SWIFT) test -c $(CONFIG) -Xswiftc -enable-testing

# Encode and decode the sample images at several token counts with the shipped model.
demo: build
	@scripts/demo.sh

# Quality against bytes on Kodak (or IMAGES=dir), written to report/ and summarised in README.md.
report: build
	$(VTOK) report --images $(IMAGES) --out report
	scripts/update-readme-report.sh report/report.md README.md

# Speed of the NN core and of the codec next to libwebp.
bench: build
	$(VTOK) bench nn
	$(VTOK) bench codec

clean:
	rm -rf .build
