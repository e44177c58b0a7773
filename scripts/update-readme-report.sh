#!/usr/bin/env bash
# Copies the budget table of a report (report.md, written by `vtok report`) into README.md between
# the report markers, so the README shows measured numbers, never hand-typed ones.
# Usage: update-readme-report.sh REPORT README [MARKER (report)] [PLOT (report/psnr.svg)]
set -euo pipefail
report=$1 readme=$2 marker=${3:-report} plot=${4:-report/psnr.svg}
begin="<!-- $marker:begin -->" end="<!-- $marker:end -->"
grep -q "$begin" "$readme" || { echo "no $begin marker in $readme" >&2; exit 1; }
section=$(awk '/^## Mean PSNR/{keep=1} keep && /^## / && !/^## Mean PSNR/{exit} keep' "$report")
section=$(printf "%s\n" "$section" | sed "s/^## /### /")
{
    awk -v b="$begin" '{print} $0==b{exit}' "$readme"
    echo
    echo "$section"
    echo
    echo "![PSNR against bytes]($plot)"
    echo
    awk -v e="$end" 'found{print} $0==e{found=1; print}' "$readme"
} > "$readme.tmp"
mv "$readme.tmp" "$readme"
