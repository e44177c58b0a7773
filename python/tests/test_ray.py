"""vtok.ray on a local Ray cluster of 2 CPUs, against `vtok tokenize` on the same images.

Needs ray[data] (CI installs it; elsewhere `pip install "ray[data]"`), and the vtok binary beside
the library (`make test` builds both)."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import vtok

ray = pytest.importorskip("ray", reason="needs ray[data]: pip install 'ray[data]'")
pq = pytest.importorskip("pyarrow.parquet")

import vtok.ray  # noqa: E402  (after the skip: it imports pyarrow)

TOKENS = 32


@pytest.fixture(scope="module")
def cluster():
    environment = {name: os.environ[name] for name in ("VTOK_LIBRARY", "PYTHONPATH", "VTOK_MODEL") if name in os.environ}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": environment})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """200 small pictures of several sizes, and one file that is not an image."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i in range(200):
        height, width = 24 + 8 * (i % 5), 32 + 4 * (i % 7)
        y, x = np.mgrid[0:height, 0:width]
        picture = np.stack([(x * (3 + i % 4) + y) % 256, (y * 5 + i) % 256, rng.integers(0, 256, (height, width))], axis=2)
        vtok.save_png(folder / f"image-{i:03d}.png", picture.astype(np.uint8))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return folder


def cli_tokens(folder, out):
    """`vtok tokenize` of the folder: file name -> (ids, width, height), or the error."""
    binary = pathlib.Path(vtok.library_path()).parent / "vtok"
    if not binary.exists():
        pytest.skip(f"no vtok binary beside {vtok.library_path()}")
    subprocess.run([str(binary), "tokenize", str(folder), "--out", str(out), "--tokens", str(TOKENS)], check=True,
                   capture_output=True)
    rows = {}
    for line in (out / "manifest.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if "error" in entry:
            rows[entry["file"]] = entry["error"]
        else:
            ids = np.load(out / entry["shard"])[entry["row"]]
            rows[entry["file"]] = (ids.astype(np.int64), entry["width"], entry["height"])
    return rows


def parquet_rows(out):
    tables = [pq.read_table(path) for path in sorted(out.glob("shard-*.parquet"))]
    return {row["id"]: row for table in tables for row in table.to_pylist()}


def test_files_to_parquet_match_vtok_tokenize_and_resume(cluster, images, tmp_path):
    paths = sorted(str(p) for p in images.iterdir())
    out = tmp_path / "parquet"
    summary = vtok.ray.tokenize_files(paths, out, tokens=TOKENS, shard_size=64)
    assert summary == {"images": 201, "shards": 4, "shards_written": 4, "shards_kept": 0, "failed": 1}
    rows = parquet_rows(out)
    assert len(rows) == 201
    expected = cli_tokens(images, tmp_path / "cli")
    model_id = vtok.Model().model_id
    agree, total = 0, 0
    for path, row in rows.items():
        reference = expected[os.path.basename(path)]
        if isinstance(reference, str):
            assert row["error"] and row["tokens"] == [] and row["width"] == 0
            continue
        ids, width, height = reference
        assert row["error"] is None and row["model_id"] == model_id
        assert (row["width"], row["height"]) == (width, height)
        assert len(row["tokens"]) == TOKENS
        agree += int(np.sum(np.array(row["tokens"]) == ids))
        total += TOKENS
    # The network's float sums depend a little on which images share a batch (vtok.h): a value
    # within rounding of a level boundary may land on the other side.
    assert agree / total >= 0.98
    # The first shard holds broken.png (sorted first), left out of its array.
    assert vtok.ray.shard_ids(out / "shard-00000.parquet").shape == (63, TOKENS)
    # Back to pictures at each image's name and size, as vtok detokenize gives vtok tokenize's shards.
    written = vtok.ray.detokenize(out / "shard-00000.parquet", tmp_path / "decoded")
    assert len(written) == 63
    binary = pathlib.Path(vtok.library_path()).parent / "vtok"
    subprocess.run([str(binary), "detokenize", *map(str, sorted((tmp_path / "cli").glob("shard-*.npy"))),
                    "--out", str(tmp_path / "cli-decoded")], check=True, capture_output=True)
    for path in written:
        ours = vtok.load_image(path)
        theirs = vtok.load_image(tmp_path / "cli-decoded" / os.path.basename(path))
        assert ours.shape == theirs.shape
        assert np.mean(np.abs(ours.astype(int) - theirs)) < 2  # ids differ only within rounding (above)

    # Killed after three shards: a rerun writes only the missing one and keeps the others.
    kept = {path: path.stat().st_mtime_ns for path in out.glob("shard-*.parquet") if path.name != "shard-00001.parquet"}
    (out / "shard-00001.parquet").unlink()
    again = vtok.ray.tokenize_files(paths, out, tokens=TOKENS, shard_size=64)
    assert again["shards_written"] == 1 and again["shards_kept"] == 3
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in kept.items())
    assert parquet_rows(out).keys() == rows.keys()
    # Another token count into the same folder is refused, not mixed in.
    with pytest.raises(ValueError, match="another run"):
        vtok.ray.tokenize_files(paths, out, tokens=TOKENS + 1, shard_size=64)


def test_any_dataset_of_bytes_or_arrays(cluster, images):
    files = sorted(images.iterdir())[:20]
    items = [{"id": f.name, "bytes": f.read_bytes()} for f in files]
    rows = vtok.ray.tokenize(ray.data.from_items(items), tokens=8).take_all()
    by_id = {row["id"]: row for row in rows}
    assert by_id["broken.png"]["error"] and list(by_id["broken.png"]["tokens"]) == []
    model = vtok.Model()
    good = [f for f in files if f.name != "broken.png"]
    reference = model.tokens_batch([vtok.load_image(f) for f in good], tokens=8)
    same = np.mean([np.array(by_id[f.name]["tokens"]) == ids for f, ids in zip(good, reference)])
    assert same >= 0.98
    arrays = [{"id": f.name, "image": vtok.load_image(f)} for f in good[:4]]
    rows = vtok.ray.tokenize(ray.data.from_items(arrays), tokens=8).take_all()
    assert sorted(row["id"] for row in rows) == sorted(f.name for f in good[:4])
    assert all(row["error"] is None and len(row["tokens"]) == 8 for row in rows)
