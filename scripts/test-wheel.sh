#!/usr/bin/env bash
# make wheel-test: the newest dist/vtok-*.whl installed into a fresh virtual environment and tested
# as a user elsewhere would run it: from a folder outside the checkout, with no VTOK_LIBRARY,
# PYTHONPATH or LD_LIBRARY_PATH, and with the Swift toolchain's libraries out of reach.
# 1. ldd of every shared object in the installed package resolves everything, and nothing under
#    the toolchain or the checkout;
# 2. the package's tests run (they read sample images from the checkout, nothing else), asserting
#    that the library and the model they load lie inside the installed package; where the system
#    allows a mount namespace, with an empty folder mounted over the toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
repository=$PWD
python=${PYTHON:-python3}
wheel=$(ls -t dist/vtok-*.whl | head -1)
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The standard library's venv, or virtualenv where a distribution split venv out (python3-venv).
"$python" -m venv "$scratch/venv" 2>/dev/null || {
    "$python" -m pip install -q --disable-pip-version-check virtualenv && "$python" -m virtualenv -q "$scratch/venv"; }
"$scratch/venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel" pytest
site=$("$scratch/venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")

failed=0
for object in $(find "$site/vtok" "$site/vtok.libs" -name "*.so*"); do
    resolved=$(env -u LD_LIBRARY_PATH ldd "$object")
    if grep -E "not found|$toolchain|$repository" <<< "$resolved"; then
        echo "wheel-test: $object resolves outside the installed package and the system:" >&2
        failed=1
    fi
done
[ "$failed" = 0 ] || exit 1
echo "wheel-test: every shared object in $(basename "$wheel") resolves within the package, scipy-openblas32 and the system"

tests=(python/tests/test_vtok.py python/tests/test_c_header.py)
run_tests=(env -u VTOK_LIBRARY -u PYTHONPATH -u LD_LIBRARY_PATH -u VTOK_MODEL VTOK_EXPECT_INSTALLED=1
           "$scratch/venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$scratch" "${tests[@]/#/$repository/}")
cd "$scratch"
if unshare --mount --propagation private true 2>/dev/null; then
    echo "wheel-test: running the tests with an empty folder over $toolchain"
    unshare --mount --propagation private sh -c 'mount -t tmpfs none "$0" && exec "$@"' "$toolchain" "${run_tests[@]}"
else
    echo "wheel-test: no mount namespace here; the toolchain stays visible, and step 1 showed nothing resolves to it"
    "${run_tests[@]}"
fi
