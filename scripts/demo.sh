#!/usr/bin/env bash
# make demo: encode and decode the sample images at several token counts with the default model,
# printing the whole-file size and the quality of each decoded image.
set -euo pipefail
vtok=${VTOK:-.build/release/vtok}
out=${DEMO_OUT:-demo-out}
mkdir -p "$out"
"$vtok" info --model
echo
printf '%-12s %7s %7s %8s  %s\n' image tokens bytes bpp quality

# The first k tokens of $name.vtok: cut, decoded and compared with the original.
show() {
    local image=$1 name=$2 k=$3
    "$vtok" truncate "$out/$name.vtok" --tokens "$k" -o "$out/$name-$k.vtok"
    "$vtok" decode "$out/$name-$k.vtok" -o "$out/$name-$k.png"
    local bytes pixels bpp
    bytes=$(wc -c < "$out/$name-$k.vtok")
    pixels=$(( $("$vtok" info "$out/$name-$k.vtok" --json | sed -E 's/.*"height":([0-9]+).*"width":([0-9]+).*/\1 * \2/') ))
    bpp=$(awk -v b="$bytes" -v p="$pixels" 'BEGIN { printf "%.4f", 8 * b / p }')
    printf '%-12s %7d %7d %8s  %s\n' "$name" "$k" "$bytes" "$bpp" "$("$vtok" compare "$image" "$out/$name-$k.png")"
}

for image in samples/*.png; do
    name=$(basename "$image" .png)
    "$vtok" encode "$image" -o "$out/$name.vtok"
    # All of an image's tokens: 1536 with a model that fits images to its square, more with the
    # shipped full-resolution model, the more the larger the image.
    all=$("$vtok" info "$out/$name.vtok" --json | sed -E 's/.*"decodable_tokens":([0-9]+).*/\1/')
    for k in 1 4 16 64 256 1536 4096 16384; do
        [ "$k" -lt "$all" ] && show "$image" "$name" "$k"
    done
    show "$image" "$name" "$all"
done
echo
echo "decoded images are in $out/"
