"""Are `--tiles` borders visible? The same pixels scored on a tile border and in a tile's middle.

    python3 python/benchmarks/tile_seams.py --vtok .build/release/vtok --images DIR [--tokens 1536] [--model FILE]

A band along the tile borders can score below the tile interiors just because of what the image
shows there, so comparing the band with the interiors of one decode mixes seams with content. Here
every image is coded twice with `vtok encode --tiles`: as it is (grid A, borders at multiples of
256) and with its first 128 rows and columns cut off (grid B, borders half a tile away). Both are
scored on the common pixels: the 8-pixel band along grid A's internal borders (where grid B has its
tile middles) and the band along grid B's (where grid A has its middles); pixels within 8 of the cut
image's edge, or on both grids' borders, are left out. A codec without seams scores each band alike
in both decodes; a seam shows as the border decode scoring below the middle one on the same pixels.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import vtok  # noqa: E402

TILE, HALF_BAND, SHIFT = 256, 4, 128


def round_trip(vtok_binary, image, folder, name, tokens, model):
    source, coded, decoded = (os.path.join(folder, name + suffix) for suffix in (".png", ".vtok", "-decoded.png"))
    vtok.save_png(source, image)
    subprocess.run([vtok_binary, "encode", source, "--tiles", "--tokens", str(tokens), "-o", coded]
                   + (["--model", model] if model else []), check=True, capture_output=True)
    subprocess.run([vtok_binary, "decode", coded, "-o", decoded] + (["--model", model] if model else []),
                   check=True, capture_output=True)
    return vtok.load_image(decoded).astype(np.float64)


def near_border(length, origin, full_length):
    """Coordinates 0..<length within HALF_BAND of an internal border of a grid whose tiles start at
    -origin (borders at origin + multiples of TILE in these coordinates, inside 0..<full_length of
    the grid's own image)."""
    result = np.zeros(length, bool)
    for v in range(length):
        own = v + origin
        offset = own % TILE
        border = own - offset if offset < HALF_BAND else own - offset + TILE
        result[v] = (offset < HALF_BAND or offset >= TILE - HALF_BAND) and 0 < border < full_length
    return result


def psnr(squared_errors):
    return 10 * np.log10(255 ** 2 / squared_errors.mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vtok", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--tokens", type=int, default=1536)
    parser.add_argument("--model", help="a weights file (the shipped model when absent)")
    args = parser.parse_args()
    files = sorted(f for f in os.listdir(args.images) if f.lower().endswith((".png", ".jpg", ".jpeg")))
    sums = {key: 0.0 for key in ("a_band_a", "a_band_b", "b_band_b", "b_band_a")}
    counts = {"a": 0, "b": 0}
    print(f"{'image':<16} {'A band: on border':>18} {'same px, mid-tile':>18} {'B band: on border':>18} {'same px, mid-tile':>18}")
    with tempfile.TemporaryDirectory() as folder:
        for name in files:
            image = vtok.load_image(os.path.join(args.images, name))
            height, width = image.shape[:2]
            if min(height, width) <= TILE + SHIFT:
                continue
            cut = image[SHIFT:, SHIFT:].copy()
            a = round_trip(args.vtok, image, folder, "a", args.tokens, args.model)[SHIFT:, SHIFT:]
            b = round_trip(args.vtok, cut, folder, "b", args.tokens, args.model)
            reference = cut.astype(np.float64)
            error_a, error_b = ((a - reference) ** 2).mean(axis=2), ((b - reference) ** 2).mean(axis=2)
            h, w = cut.shape[:2]
            on_a = near_border(h, SHIFT, height)[:, None] | near_border(w, SHIFT, width)[None, :]
            on_b = near_border(h, 0, h)[:, None] | near_border(w, 0, w)[None, :]
            inside = np.zeros((h, w), bool)
            inside[2 * HALF_BAND:h - 2 * HALF_BAND, 2 * HALF_BAND:w - 2 * HALF_BAND] = True
            band_a, band_b = on_a & ~on_b & inside, on_b & ~on_a & inside
            print(f"{name:<16} {psnr(error_a[band_a]):>18.2f} {psnr(error_b[band_a]):>18.2f} "
                  f"{psnr(error_b[band_b]):>18.2f} {psnr(error_a[band_b]):>18.2f}")
            sums["a_band_a"] += error_a[band_a].sum()
            sums["a_band_b"] += error_b[band_a].sum()
            sums["b_band_b"] += error_b[band_b].sum()
            sums["b_band_a"] += error_a[band_b].sum()
            counts["a"] += band_a.sum()
            counts["b"] += band_b.sum()
    pooled = [psnr(np.array([sums[key] / counts[group]])) for key, group in
              (("a_band_a", "a"), ("a_band_b", "a"), ("b_band_b", "b"), ("b_band_a", "b"))]
    print(f"{'all (pooled)':<16} {pooled[0]:>18.2f} {pooled[1]:>18.2f} {pooled[2]:>18.2f} {pooled[3]:>18.2f}")
    print(f"on a border minus mid-tile, same pixels: {pooled[0] - pooled[1]:+.2f} dB (grid A's band), "
          f"{pooled[2] - pooled[3]:+.2f} dB (grid B's band)")


if __name__ == "__main__":
    main()
