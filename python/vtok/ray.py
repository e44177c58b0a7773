"""Tokenizing a dataset on many machines with Ray Data.

    import ray, vtok.ray
    ray.init()                                              # or ray.init(address="auto") on a cluster
    summary = vtok.ray.tokenize_files(paths, "tokens/", tokens=256)   # Parquet shards, resumable

    ds = ray.data.read_images("s3://bucket/images", include_paths=True, mode="RGB")
    vtok.ray.tokenize(ds, tokens=256).write_parquet("s3://bucket/tokens")    # any Ray Dataset

Each worker loads the model once (a Ray actor per worker) and tokenizes `batch_size` images per
network pass through the library, as `vtok tokenize` does: every image is fitted to the model's
square, so every row has the same number of ids. A row holds the image's id (its path, or the
`id` column you give), its size before fitting, the model id, its token ids (`list<uint16>`, or
`list<uint32>` for wider tokens) and `error`: null, or why the image could not be read, in which
case `tokens` is empty. A bad file never fails the job.

`tokenize_files` is the resumable path: the sorted file list is cut into shards of `shard_size`
files, each written as `shard-00000.parquet` ... once all its rows are back (to a temporary name,
then renamed), so a job that is killed and run again tokenizes only the shards that are missing.
It refuses an output folder written with another model, token count, shard size or file list.

The Parquet files read back with pyarrow, pandas, `datasets.load_dataset("parquet", ...)` or
PyTorch through any of those; `shard_ids(path)` gives one shard as the (rows, k) array that
`Model.decode_batch` takes, and `detokenize(path, out)` writes a shard's images back as PNGs, as
`vtok detokenize` does for the `.npy` shards of `vtok tokenize` (the command has no Parquet reader:
none is packaged for the system it builds on).
"""
import hashlib
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["tokenize", "tokenize_files", "shard_ids", "detokenize", "schema"]


def schema(bits_per_token=16):
    """The Arrow schema of the rows: ids as uint16 when they fit (every shipped model), else uint32."""
    ids = pa.uint16() if bits_per_token <= 16 else pa.uint32()
    return pa.schema([("id", pa.string()), ("width", pa.int32()), ("height", pa.int32()), ("model_id", pa.string()),
                      ("tokens", pa.list_(ids)), ("error", pa.string())])


class _Tokenizer:
    """The work of one Ray actor: a model loaded once, then batches of rows to rows of ids."""

    def __init__(self, model_path, tokens):
        import vtok
        self._vtok = vtok
        self.model = vtok.Model(model_path)
        self.tokens = self.model.max_tokens if tokens is None else int(tokens)
        self.schema = schema(self.model.bits_per_token)

    def _image(self, batch, i):
        if "image" in batch:
            image = np.asarray(batch["image"][i])
            if image.ndim == 2:
                image = np.repeat(image[:, :, None], 3, axis=2)
            return np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)
        if "bytes" in batch:
            return self._vtok.decode_image(bytes(batch["bytes"][i]))
        return self._vtok.load_image(str(batch["path"][i]))

    def __call__(self, batch):
        count = len(next(iter(batch.values())))
        names = batch.get("id", batch.get("path"))
        images, errors = [None] * count, [None] * count
        for i in range(count):
            try:
                images[i] = self._image(batch, i)
            except Exception as error:  # a bad file becomes a row with its error, never a failed job
                errors[i] = str(error) or type(error).__name__
        good = [i for i in range(count) if images[i] is not None]
        ids = self.model.tokens_batch([images[i] for i in good], tokens=self.tokens) if good else np.zeros((0, 0))
        rows = [[] for _ in range(count)]
        for row, i in zip(ids, good):
            rows[i] = row.tolist()
        columns = {
            "id": [str(names[i]) if names is not None else str(i) for i in range(count)],
            "width": [int(images[i].shape[1]) if images[i] is not None else 0 for i in range(count)],
            "height": [int(images[i].shape[0]) if images[i] is not None else 0 for i in range(count)],
            "model_id": [self.model.model_id] * count,
            "tokens": rows,
            "error": errors,
        }
        table = pa.Table.from_pydict(columns, schema=self.schema)
        for extra in ("shard", "index"):
            if extra in batch:
                table = table.append_column(extra, pa.array(np.asarray(batch[extra], dtype=np.int64)))
        return table


def tokenize(dataset, *, model=None, tokens=None, batch_size=16, concurrency=None):
    """A Ray Dataset of images to a Ray Dataset of token rows (module docstring). Rows may hold
    `image` (an HxWx3 or HxW uint8 array, as `ray.data.read_images` gives), `bytes` (an encoded PNG
    or JPEG) or `path` (a file every worker can read); `id` or `path` names the row. `model`: a
    weights file every worker can read (default: the shipped model). `concurrency`: workers
    (default: one per CPU of the cluster)."""
    import ray
    workers = concurrency or max(1, int(ray.cluster_resources().get("CPU", 1)))
    return dataset.map_batches(_Tokenizer, fn_constructor_args=(model, tokens), batch_size=batch_size,
                               batch_format="numpy", concurrency=workers, num_cpus=1)


def _shard_name(index):
    return f"shard-{index:05d}.parquet"


def _write_atomically(table, path):
    temporary = path + ".partial"
    pq.write_table(table, temporary)
    os.replace(temporary, path)


def tokenize_files(paths, out, *, model=None, tokens=None, shard_size=1024, batch_size=16, concurrency=None):
    """Image files to Parquet shards under `out`, resumably (module docstring). Returns a dict:
    images, shards, shards_written, shards_kept, failed."""
    import ray
    import vtok
    files = sorted(str(p) for p in paths)
    if shard_size < 1 or batch_size < 1:
        raise ValueError("shard_size and batch_size must be positive")
    local = vtok.Model(model)
    kept = local.max_tokens if tokens is None else int(tokens)
    if not 0 <= kept <= local.max_tokens:
        raise ValueError(f"tokens {tokens}: give 0 ... {local.max_tokens}, the model's K")
    listing = hashlib.sha256("\n".join(files).encode()).hexdigest()
    settings = json.dumps({"model_id": local.model_id, "tokens": kept, "shard_size": shard_size,
                           "files": len(files), "files_sha256": listing}, sort_keys=True)
    local.close()
    os.makedirs(out, exist_ok=True)
    settings_path = os.path.join(out, "tokenize.json")
    if os.path.exists(settings_path):
        with open(settings_path) as handle:
            if handle.read() != settings:
                raise ValueError(f"{out} holds shards of another run (other files, model, token count or shard size; "
                                 "see its tokenize.json): write to another folder, or delete it")
    else:
        with open(settings_path + ".partial", "w") as handle:
            handle.write(settings)
        os.replace(settings_path + ".partial", settings_path)

    shards = [files[start:start + shard_size] for start in range(0, len(files), shard_size)]
    todo = [s for s in range(len(shards)) if not os.path.exists(os.path.join(out, _shard_name(s)))]
    summary = {"images": len(files), "shards": len(shards), "shards_written": 0, "shards_kept": len(shards) - len(todo),
               "failed": 0}
    if not todo:
        return summary
    items = [{"path": path, "id": path, "shard": s, "index": i} for s in todo for i, path in enumerate(shards[s])]
    rows = tokenize(ray.data.from_items(items), model=model, tokens=kept, batch_size=batch_size, concurrency=concurrency)
    pending = {s: [] for s in todo}
    missing = {s: len(shards[s]) for s in todo}
    for batch in rows.iter_batches(batch_format="pyarrow", batch_size=None):
        for shard in set(batch.column("shard").to_pylist()):
            part = batch.filter(pc.equal(batch.column("shard"), shard))
            pending[shard].append(part)
            missing[shard] -= part.num_rows
            if missing[shard] == 0:
                table = pa.concat_tables(pending.pop(shard))
                table = table.sort_by("index").drop_columns(["shard", "index"])
                summary["failed"] += table.num_rows - table.column("error").null_count
                _write_atomically(table, os.path.join(out, _shard_name(shard)))
                summary["shards_written"] += 1
    return summary


def shard_ids(path):
    """One Parquet shard's token ids as an int64 array (rows, k), rows that failed left out."""
    table = pq.read_table(path, columns=["tokens", "error"])
    good = [row for row, error in zip(table.column("tokens").to_pylist(), table.column("error").to_pylist()) if error is None]
    return np.array(good, dtype=np.int64).reshape(len(good), -1)


def detokenize(path, out, *, model=None, batch_size=16):
    """Writes one Parquet shard's images to `out` as PNGs, named after each row's id (its file
    name with .png) at its original size, as `vtok detokenize` does with a manifest: the ids are
    decoded many per network pass as the model's square and stretched back. Rows that failed are
    skipped. Returns the paths written."""
    import vtok
    table = pq.read_table(path, columns=["id", "width", "height", "tokens", "error"]).to_pydict()
    rows = [i for i, error in enumerate(table["error"]) if error is None]
    os.makedirs(out, exist_ok=True)
    written = []
    with vtok.Model(model) as decoder:
        # Rows of one size decode together.
        by_size = {}
        for i in rows:
            by_size.setdefault((table["height"][i], table["width"][i]), []).append(i)
        for size, indices in sorted(by_size.items()):
            for start in range(0, len(indices), batch_size):
                chunk = indices[start:start + batch_size]
                ids = np.array([table["tokens"][i] for i in chunk], dtype=np.int64).reshape(len(chunk), -1)
                for i, picture in zip(chunk, decoder.decode_batch(ids, size=size)):
                    name = os.path.splitext(os.path.basename(str(table["id"][i])))[0] + ".png"
                    target = os.path.join(out, name)
                    vtok.save_png(target, picture)
                    written.append(target)
    return written
