# vtok: `make test` builds and runs every test; `make demo` encodes and decodes sample images.
SWIFT ?= swift
CONFIG ?= release
CORETYPE := $(shell scripts/blas-coretype.sh)
export OPENBLAS_CORETYPE ?= $(CORETYPE)

IMAGES ?= ../shared/data/kodak
VTOK = .build/$(CONFIG)/vtok
# One set of flags for every build: the tests need -enable-testing, and a CLI built with other flags
# would compile every module twice (make test) and again for make demo after it.
SWIFTFLAGS ?= -Xswiftc -enable-testing

.PHONY: deps build test python-test wheel wheel-test demo report report-full bench fuzz clean

deps:
	@scripts/check-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG) $(SWIFTFLAGS)

# Release mode: the numeric tests (gradient checks, model passes) run 10-100x slower in debug.
test: deps
	$(SWIFT) build -c $(CONFIG) $(SWIFTFLAGS) --build-tests
	$(SWIFT) test -c $(CONFIG) $(SWIFTFLAGS) --skip-build
	$(MAKE) --no-print-directory python-test

# The Python package (python/) over the C library: builds the library product, runs pytest.
LIBVTOK ?= $(CURDIR)/.build/$(CONFIG)/libvtok_c.so
python-test:
	$(SWIFT) build -c $(CONFIG) $(SWIFTFLAGS) --product vtok_c
	@# The C library carries no evaluation code: no libwebp (only vtok report compares against it).
	@if ldd $(LIBVTOK) | grep -qi webp; then echo "libvtok_c links libwebp: it must not import VTokEval" >&2; exit 1; fi
	VTOK_LIBRARY=$(LIBVTOK) PYTHONPATH=$(CURDIR)/python python3 -m pytest -q python/tests

# A manylinux wheel of the Python package that needs no toolchain or checkout (scripts/build-wheel.sh),
# then its tests on a fresh virtual environment outside the checkout (scripts/test-wheel.sh).
wheel: deps
	scripts/build-wheel.sh

wheel-test: wheel
	scripts/test-wheel.sh

# Encode and decode the sample images at several token counts with the shipped model.
demo: build
	@scripts/demo.sh

# The reports' images are not in the repository: each report target checks IMAGES first.
require-images = @test -d "$(IMAGES)" || { echo "make $@: no images at $(IMAGES). The report's images are not in the repository:" \
	    "put PNG or JPEG files (the 24 Kodak images, kodim01-24.png) in a folder and run make $@ IMAGES=that/folder" >&2; exit 2; }

# Quality against bytes on Kodak (or IMAGES=dir), written to report/ and summarised in README.md.
report: build
	$(require-images)
	$(VTOK) report --images $(IMAGES) --out report
	scripts/update-readme-report.sh report/report.md README.md

# The same images at their own size (the 768x512 Kodak images), 0.1 to 1 bit per pixel against WebP
# and JPEG, written to report/full/ and summarised in README.md.
FULL_TOKENS ?= 1536,2048,3072,4096,6144,8192,12288,16384,24576,32768,50688,65536,81920,98304,124416
FULL_BUDGETS ?= 4915,9830,12288,24576,36864,49152
report-full: build
	$(require-images)
	$(VTOK) report --images $(IMAGES) --full --codecs vtok,webp,jpeg --tokens $(FULL_TOKENS) --budgets $(FULL_BUDGETS) --out report/full
	scripts/update-readme-report.sh report/full/report.md README.md report-full report/full/psnr.svg

# Speed of the NN core and of the codec next to libwebp.
bench: build
	$(VTOK) bench nn
	$(VTOK) bench codec
	$(VTOK) bench tokenize

# libFuzzer targets: PNG and JPEG readers, the .vtok container, a whole decode (fuzz/run.sh).
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh $(FUZZ_TARGETS)

clean:
	rm -rf .build
