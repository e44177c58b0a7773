#!/usr/bin/env bash
# Checks that the Debian packages vtok builds against are installed.
# As root it installs what is missing; otherwise it prints the exact apt-get line and fails.
set -euo pipefail
packages=(libpng-dev libjpeg62-turbo-dev zlib1g-dev libopenblas-dev libwebp-dev)
# Reference codecs, used by the tests that cross-check our JPEG/WebP output and by `vtok report`
# (AVIF and JPEG XL run through their command-line tools).
packages+=(webp libjpeg-turbo-progs libavif-bin libjxl-tools)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "Installing missing packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
    echo "vtok needs these Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
