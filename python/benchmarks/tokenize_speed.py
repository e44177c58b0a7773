"""`vtok tokenize` batched (many images per network pass) next to one by one, in one run, with the
machine's SGEMM rate measured between them.

    python3 python/benchmarks/tokenize_speed.py --vtok .build/release/vtok --images DIR [--rounds 2]

Each round: `vtok info --system` (SGEMM, 1024^3, all cores), tokenize with --batch-size 16,
tokenize with --batch-size 1, in fresh output folders. The network figures are the command's own
(time inside the network, counted encoder FLOPs); the fraction is the network's GFLOP/s over the
mean of the SGEMM measurements around it. The command overlaps reading the next batch with the
network, so on two cores its network time includes some contention; the last table times the
network alone through the Python package (images already in memory, 16 per pass against 1 per
pass, alternating), with the FLOPs per image the command reports.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile

SUMMARY = re.compile(r"tokenized (\d+) images .* in ([\d.]+) s \(([\d.]+) images/s; network ([\d.]+) s, "
                     r"([\d.]+) images/s, ([\d.]+) GFLOP/s\)")


def environment():
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)  # the command picks its kernels itself
    return env


def sgemm(vtok):
    output = subprocess.run([vtok, "info", "--system", "--json"], env=environment(), capture_output=True, text=True, check=True)
    return json.loads(output.stdout)


def tokenize(vtok, images, batch):
    out = tempfile.mkdtemp(prefix="vtok-tokenize-bench-")
    try:
        result = subprocess.run([vtok, "tokenize", images, "--out", out, "--batch-size", str(batch)],
                                env=environment(), capture_output=True, text=True, check=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    match = SUMMARY.search(result.stderr)
    images_, seconds, rate, network_s, network_rate, gflops = match.groups()
    return {"images": int(images_), "seconds": float(seconds), "images_per_s": float(rate),
            "network_images_per_s": float(network_rate), "network_gflops": float(gflops)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vtok", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    system = sgemm(args.vtok)
    print(f"{system['cpu']}, {system['logical_cores']} cores, OpenBLAS {system['blas_core']}")
    print(f"{'round':>5} {'batch':>5} {'images':>6} {'images/s':>9} {'network img/s':>14} {'network GFLOP/s':>16} "
          f"{'SGEMM GFLOP/s':>14} {'of SGEMM':>9}")
    before = system["sgemm_gflops"]
    for round_ in range(args.rounds):
        for batch in (16, 1):
            run = tokenize(args.vtok, args.images, batch)
            after = sgemm(args.vtok)["sgemm_gflops"]
            rate = (before + after) / 2
            print(f"{round_:>5} {batch:>5} {run['images']:>6} {run['images_per_s']:>9.1f} {run['network_images_per_s']:>14.1f} "
                  f"{run['network_gflops']:>16.1f} {rate:>14.1f} {run['network_gflops'] / rate:>8.0%}")
            before = after
    network_only(args.images, run["network_gflops"] * 1e9 / run["network_images_per_s"], args.vtok)


def centre_crop(image, side):
    height, width = image.shape[:2]
    if min(height, width) < side:
        raise SystemExit(f"an image of {width}x{height} is smaller than the {side}-pixel crop the network-only measurement takes")
    top, left = (height - side) // 2, (width - side) // 2
    return image[top:top + side, left:left + side].copy()


def network_only(images, flops_per_image, vtok_binary, count=256, rounds=3):
    import glob
    import sys
    import time
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import vtok
    files = sorted(f for pattern in ("*.png", "*.jpg", "*.jpeg", "*.JPG", "*.JPEG")
                   for f in glob.glob(os.path.join(images, "**", pattern), recursive=True))[:count]
    if not files:
        raise SystemExit(f"no PNG or JPEG images under {images} for the network-only measurement")
    pictures = [centre_crop(vtok.load_image(f), 256) for f in files]
    model = vtok.Model()
    model.tokens_batch(pictures[:16])  # warm-up
    print(f"network alone, {len(pictures)} 256x256 crops in memory, Python package ({vtok.blas_kernels()} kernels):")
    print(f"{'round':>5} {'per pass':>8} {'images/s':>9} {'GFLOP/s':>8} {'SGEMM GFLOP/s':>14} {'of SGEMM':>9}")
    for round_ in range(rounds):
        for per_pass in (16, 1):
            rate = sgemm(vtok_binary)["sgemm_gflops"]
            start = time.perf_counter()
            for i in range(0, len(pictures), per_pass):
                model.tokens_batch(pictures[i:i + per_pass])
            seconds = time.perf_counter() - start
            gflops = flops_per_image * len(pictures) / seconds / 1e9
            print(f"{round_:>5} {per_pass:>8} {len(pictures) / seconds:>9.1f} {gflops:>8.1f} {rate:>14.1f} {gflops / rate:>8.0%}")


if __name__ == "__main__":
    main()
