#!/usr/bin/env bash
# make demo: encode and decode the sample images at several token counts with the default model,
# printing the whole-file size and the quality of each decoded image.
set -euo pipefail
vtok=${VTOK:-.build/release/vtok}
out=${DEMO_OUT:-demo-out}
mkdir -p "$out"
"$vtok" info --model
max_tokens=$("$vtok" info --model --json | sed -E 's/.*"max_tokens":([0-9]+).*/\1/')
echo
printf '%-12s %7s %7s %8s  %s\n' image tokens bytes bpp quality
for image in samples/*.png; do
    name=$(basename "$image" .png)
    "$vtok" encode "$image" -o "$out/$name.vtok"
    for k in 1 4 16 32 64 128 256 512 1024 1536; do
        [ "$k" -le "$max_tokens" ] || continue
        "$vtok" truncate "$out/$name.vtok" --tokens "$k" -o "$out/$name-$k.vtok"
        "$vtok" decode "$out/$name-$k.vtok" -o "$out/$name-$k.png"
        bytes=$(wc -c < "$out/$name-$k.vtok")
        pixels=$(( $("$vtok" info "$out/$name-$k.vtok" --json | sed -E 's/.*"height":([0-9]+).*"width":([0-9]+).*/\1 * \2/') ))
        bpp=$(awk -v b="$bytes" -v p="$pixels" 'BEGIN { printf "%.4f", 8 * b / p }')
        printf '%-12s %7d %7d %8s  %s\n' "$name" "$k" "$bytes" "$bpp" "$("$vtok" compare "$image" "$out/$name-$k.png")"
    done
done
echo
echo "decoded images are in $out/"
