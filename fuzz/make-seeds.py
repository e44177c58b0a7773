#!/usr/bin/env python3
"""Writes the committed seed corpus: tiny PNGs of every colour type and bit depth (made here with
zlib), and tiny JPEGs made by libjpeg-turbo's cjpeg (baseline, 4:2:0, progressive, grayscale,
restart markers, arithmetic coding, an EXIF orientation). Run from anywhere; needs python3 and cjpeg."""
import os, struct, subprocess, tempfile, zlib

here = os.path.dirname(os.path.abspath(__file__))

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

def png(width, height, color, depth, rows, extra=b""):
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

def packed(values, depth):
    if depth >= 8:
        return b"".join(v.to_bytes(depth // 8, "big") for v in values)
    out, acc, bits = bytearray(), 0, 0
    for v in values:
        acc = (acc << depth) | v
        bits += depth
        if bits == 8:
            out.append(acc); acc = bits = 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)

def write(target, name, data):
    with open(os.path.join(here, "corpus", target, name), "wb") as f:
        f.write(data)

w, h = 7, 5
channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
for color, depths in {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}.items():
    for depth in depths:
        top = (1 << depth) - 1
        rows = [packed([((x * 3 + y * 5 + c * 7) * 37) % (top + 1) if color != 3 else (x + y) % (top + 1)
                        for x in range(w) for c in range(channels[color])], depth) for y in range(h)]
        extra = b""
        if color == 3:
            entries = top + 1
            extra = chunk(b"PLTE", bytes((i * 40 + c * 90) % 256 for i in range(entries) for c in range(3)))
            extra += chunk(b"tRNS", bytes((i * 60) % 256 for i in range(min(entries, 4))))
        elif color == 0 and depth == 8:
            extra = chunk(b"tRNS", struct.pack(">H", 37))
        write("png", f"c{color}-d{depth}.png", png(w, h, color, depth, rows, extra))
write("png", "one-pixel.png", png(1, 1, 2, 8, [b"\x10\x20\x30"]))

with tempfile.TemporaryDirectory() as tmp:
    ppm = os.path.join(tmp, "in.ppm")
    pgm = os.path.join(tmp, "in.pgm")
    W, H = 20, 12
    with open(ppm, "wb") as f:
        f.write(b"P6 %d %d 255\n" % (W, H) + bytes((x * 12 + c * 80 + y * 9) % 256 for y in range(H) for x in range(W) for c in range(3)))
    with open(pgm, "wb") as f:
        f.write(b"P5 %d %d 255\n" % (W, H) + bytes((x * 12 + y * 20) % 256 for y in range(H) for x in range(W)))
    variants = {
        "baseline-444.jpg": (["-quality", "90", "-sample", "1x1"], ppm),
        "baseline-420.jpg": (["-quality", "50"], ppm),
        "progressive.jpg": (["-progressive", "-quality", "75"], ppm),
        "grayscale.jpg": (["-quality", "80"], pgm),
        "restart.jpg": (["-restart", "1", "-quality", "70"], ppm),
        "arithmetic.jpg": (["-arithmetic"], ppm),
        "optimized-422.jpg": (["-optimize", "-sample", "2x1"], ppm),
    }
    for name, (flags, source) in variants.items():
        result = subprocess.run(["cjpeg"] + flags + [source], capture_output=True)
        if result.returncode == 0:
            write("jpeg", name, result.stdout)
    # EXIF orientation 6 in a big-endian TIFF, right after SOI.
    base = open(os.path.join(here, "corpus", "jpeg", "baseline-420.jpg"), "rb").read()
    tiff = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01" + b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00" + b"\x00\x00\x00\x00"
    payload = b"Exif\x00\x00" + tiff
    write("jpeg", "exif-orientation-6.jpg", base[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + base[2:])
