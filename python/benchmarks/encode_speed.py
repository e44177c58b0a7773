"""Encode speed from Python next to the same encode inside the vtok command, in one run.

    python3 python/benchmarks/encode_speed.py --images DIR --vtok .build/release/vtok [--tokens 32]
    python3 python/benchmarks/encode_speed.py --images DIR --vtok .build/release/vtok --python VENV/bin/python

With --python, the package that interpreter has installed (say from the wheel, make wheel) is timed
instead of the checkout's python/vtok.

The CLI side is `vtok bench codec --images DIR --tokens K --json` (its whole-file encode, per image,
mean over every round). The Python side times `Model.encode(image, tokens=K)` on the same images
(each read by the library), same rounds, in fresh interpreters: once as a user runs it (the package
sets OPENBLAS_CORETYPE before the library loads when OpenBLAS would pick generic kernels), once with the generic kernels OpenBLAS picks by
itself on CPUs it misdetects (OPENBLAS_CORETYPE=Prescott), which is what a host process without the
fix gets. Give the images at the model's size (256x256) so that neither side spends time resizing.
"""
import argparse
import json
import os
import subprocess
import sys

MEASURE = r"""
import glob, json, os, sys, time
import vtok
images = [vtok.load_image(p) for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.png")))]
tokens, rounds = int(sys.argv[2]), int(sys.argv[3])
model = vtok.Model()
model.encode(images[0], tokens=tokens)  # first call: lazy set-up outside the timing
elapsed = 0.0
for _ in range(rounds):
    for image in images:
        start = time.perf_counter()
        model.encode(image, tokens=tokens)
        elapsed += time.perf_counter() - start
print(json.dumps({"kernels": vtok.blas_kernels(), "encode_ms": elapsed * 1000 / (rounds * len(images)),
                  "images": len(images)}))
"""


def python_encode(images, tokens, rounds, coretype, python=None):
    environment = dict(os.environ)
    environment.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        environment["OPENBLAS_CORETYPE"] = coretype
    if python is None:  # the checkout's package
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        environment["PYTHONPATH"] = package + os.pathsep + environment.get("PYTHONPATH", "")
    else:  # the one that interpreter has installed
        for name in ("PYTHONPATH", "VTOK_LIBRARY"):
            environment.pop(name, None)
    output = subprocess.run([python or sys.executable, "-c", MEASURE, images, str(tokens), str(rounds)],
                            env=environment, capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def cli_encode(vtok, images, tokens, rounds):
    environment = dict(os.environ)
    environment.pop("OPENBLAS_CORETYPE", None)  # the command fixes its kernels itself
    output = subprocess.run([vtok, "bench", "codec", "--images", images, "--tokens", str(tokens),
                             "--repetitions", str(rounds), "--limit", "1000", "--json"],
                            env=environment, capture_output=True, text=True, check=True).stdout
    return json.loads(output)["vtok_encode_ms"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", required=True)
    parser.add_argument("--vtok", required=True, help="the built vtok command")
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--python", help="an interpreter whose installed vtok package to time (default: the checkout's)")
    args = parser.parse_args()
    rows = []
    for trial in range(2):  # interleaved, twice: shared cores drift
        rows.append(("vtok bench codec (CLI)", "its own choice", cli_encode(args.vtok, args.images, args.tokens, args.rounds)))
        auto = python_encode(args.images, args.tokens, args.rounds, None, args.python)
        rows.append(("Python Model.encode", f"as a user runs it: {auto['kernels']}", auto["encode_ms"]))
        generic = python_encode(args.images, args.tokens, args.rounds, "Prescott", args.python)
        rows.append(("Python Model.encode", f"generic: {generic['kernels']}", generic["encode_ms"]))
    print(f"encode of {auto['images']} images, {args.tokens} tokens, mean of {args.rounds} rounds, ms per image")
    for name, kernels, ms in rows:
        print(f"  {name:26} {kernels:28} {ms:7.2f}")


if __name__ == "__main__":
    main()
