"""The Python package over libvtok_c: round trips, prefixes, batches, errors, threads."""
import os
import pathlib
import threading

import numpy as np
import pytest

import vtok

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = sorted((REPOSITORY / "samples").glob("*.png"))


@pytest.fixture(scope="module")
def model():
    with vtok.Model() as model:
        yield model


@pytest.fixture(scope="module")
def square_model():
    """The model shipped before the full-resolution one: it fits every image to its square, or tiles."""
    with vtok.Model(REPOSITORY / "models" / "c2.safetensors") as model:
        yield model


def gradient(height=48, width=64, seed=0):
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 255 // width, y * 255 // height, (x + y + seed * 37) % 256], axis=-1)
    return image.astype(np.uint8)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))


def test_library_and_kernels(model):
    assert vtok.library_version() == vtok.__version__ == "0.2.0"
    assert os.path.exists(vtok.library_path())
    assert model.path == vtok.default_model_path() and model.path.endswith("default-model.safetensors")
    if os.environ.get("VTOK_EXPECT_INSTALLED"):
        # The wheel's test (make wheel-test): the library and the model inside the installed package,
        # nothing from the checkout.
        installed = pathlib.Path(vtok.__file__).resolve().parent
        assert pathlib.Path(vtok.library_path()).resolve().is_relative_to(installed), vtok.library_path()
        assert pathlib.Path(model.path).resolve().is_relative_to(installed), model.path
    assert vtok.blas_kernels()
    if os.environ.get("OPENBLAS_CORETYPE"):
        assert vtok.blas_kernels().lower() == os.environ["OPENBLAS_CORETYPE"].lower()


def test_coretype_rule_matches_the_cli():
    from vtok._native import blas_coretype
    assert blas_coretype("fpu sse avx2 avx512f avx512bw avx512vl") == "SkylakeX"
    assert blas_coretype("fpu sse avx2 avx512f") == "Haswell"
    assert blas_coretype("fpu sse sse2") is None
    from vtok._native import coretype_to_set
    avx512 = "avx2 avx512f avx512bw avx512vl"
    assert coretype_to_set(avx512, "Prescott") == "SkylakeX"  # misdetected: fix it
    assert coretype_to_set(avx512, None) == "SkylakeX"  # could not ask: as scripts/blas-coretype.sh
    assert coretype_to_set(avx512, "Cooperlake") is None  # detected well: leave it alone
    assert coretype_to_set("avx2", "Haswell") is None


def test_the_kernels_in_use_are_never_the_generic_fallback():
    from vtok._native import MODERN_CORENAMES, _cpu_flags, blas_coretype
    if blas_coretype(_cpu_flags()) is not None:
        assert vtok.blas_kernels().lower() in MODERN_CORENAMES


def test_model_description(model, square_model):
    # The shipped model codes images at their own size: 1536 base tokens, then 320 channels (a
    # detail layer's 128 and a refinement's 192) of one token per 32x32 pixels. max_tokens is what a
    # native 256x256 image gets.
    assert model.resolution == 256
    assert model.max_tokens == model.token_count((256, 256)) == 1536 + 320 * 8 * 8
    assert model.token_count((480, 640)) == 1536 + 320 * 15 * 20
    assert model.token_count((1, 1)) == 1536 + 320
    assert model.bits_per_token == 12
    assert len(model.model_id) == 8
    # A model that fits every image to its square gives every size the same count.
    assert square_model.max_tokens == 1536 == square_model.token_count((480, 640)) == square_model.token_count((1, 1))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_round_trip(model, path):
    image = vtok.load_image(path)
    data = model.encode(image, tokens=64)
    info = model.info(data)
    assert (info["width"], info["height"], info["tokens"]) == (image.shape[1], image.shape[0], 64)
    assert info["matches_model"] and info["model_id"] == model.model_id
    decoded = model.decode(data)
    assert decoded.shape == image.shape and decoded.dtype == np.uint8
    assert psnr(image, decoded) > 8  # the synthetic test card is the hardest: 9.6 dB at 64 tokens
    # The same picture from the ids, and all K tokens do at least as well as 64.
    ids = model.tokens(image, tokens=64)
    assert np.array_equal(model.decode(ids, size=image.shape[:2]), decoded)
    assert psnr(image, model.decode(model.encode(image))) >= psnr(image, decoded) - 0.5


def test_tokens_are_prefixes(model):
    image = gradient(90, 120)
    full = model.tokens(image)
    assert full.shape == (model.token_count((90, 120)),) and full.dtype == np.int64
    assert full.min() >= 0 and full.max() < 2 ** model.bits_per_token
    for k in (0, 1, 7, 32, 100):
        assert np.array_equal(model.tokens(image, tokens=k), full[:k])
    # The file cut to k tokens decodes to the image of the first k ids.
    assert np.array_equal(model.decode(model.encode(image, tokens=16)), model.decode(full[:16], size=(90, 120)))


def test_byte_budget_and_target_psnr(model):
    image = gradient(100, 100)
    assert 100 < len(model.encode(image, max_bytes=120)) <= 120
    easy = model.encode(image, target_psnr=12)
    hard = model.encode(image, target_psnr=20)
    assert len(easy) <= len(hard)


def test_tiles(model, square_model):
    image = gradient(300, 520)
    ids = square_model.tokens(image, tiles=True, tokens=8)
    assert ids.shape == (2 * 3, 8)
    decoded = square_model.decode(ids, size=(300, 520), tiles=True)
    assert decoded.shape == (300, 520, 3)
    assert np.array_equal(decoded, square_model.decode(square_model.encode(image, tokens=8, tiles=True)))
    # The shipped model keeps an image's detail without tiles, and refuses them rather than ignore them.
    with pytest.raises(vtok.VTokError, match="codes the whole image at its own size"):
        model.encode(image, tiles=True)
    # It reads the square model's files, tiled or not, as its base layer: the same picture.
    tiled = square_model.encode(image, tokens=8, tiles=True)
    assert np.array_equal(model.decode(tiled), decoded)


def test_non_contiguous_images(model):
    image = gradient(80, 80)
    view = np.ascontiguousarray(np.concatenate([image, image], axis=1))[:, ::2]
    assert not view.flags["C_CONTIGUOUS"]
    assert np.array_equal(model.tokens(view, tokens=16), model.tokens(np.ascontiguousarray(view), tokens=16))
    cropped = np.zeros((100, 120, 3), np.uint8)
    cropped[10:90, 20:100] = image
    assert np.array_equal(model.tokens(cropped[10:90, 20:100], tokens=16), model.tokens(image, tokens=16))


def test_batches(model):
    images = [gradient(64, 64, 0), gradient(40, 100, 1), gradient(256, 256, 2), gradient(17, 33, 3)]
    batch = model.tokens_batch(images, tokens=32)
    assert batch.shape == (4, 32)
    # The network's float sums depend a little on the batch: a value within rounding of a sign
    # boundary may flip a bit, a pixel within rounding of a step may move by 1.
    one_by_one = np.stack([model.tokens(image, tokens=32) for image in images])
    assert np.mean(batch == one_by_one) >= 0.98
    # Batches give every image the ids of its stretch to the model's square: all rows have
    # max_tokens ids, and a 256x256 image's are its own.
    rows = model.tokens_batch(images)
    assert rows.shape == (4, model.max_tokens)
    assert np.mean(rows[2] == model.tokens(images[2])) >= 0.98
    # They decode as that square, stretched to the size asked for.
    assert model.decode_batch(batch, size=(50, 60)).shape == (4, 50, 60, 3)
    pictures = model.decode_batch(batch, size=(256, 256))
    for picture, row in zip(pictures, batch):
        difference = np.abs(picture.astype(int) - model.decode(row, size=(256, 256)))
        assert difference.max() <= 1 and np.mean(difference > 0) < 0.01
    files = model.encode_batch(images, tokens=32)
    assert [len(f) for f in files] == [len(model.encode(i, tokens=32)) for i in images]
    decoded = model.decode_batch(files)
    assert [d.shape for d in decoded] == [i.shape for i in images]
    assert model.tokens_batch([], tokens=8).shape == (0, 8)


def test_errors_carry_the_library_message(model):
    with pytest.raises(vtok.VTokError, match="not a .vtok file") as error:
        model.decode(b"definitely not a vtok file")
    assert error.value.status == 2
    with pytest.raises(vtok.VTokError, match="at most one of tokens, max_bytes and target_psnr"):
        model.encode(gradient(), tokens=3, max_bytes=100)
    count = model.token_count(gradient().shape[:2])
    with pytest.raises(vtok.VTokError, match=f"the model has {count} tokens for this image"):
        model.encode(gradient(), tokens=count + 1)
    with pytest.raises(vtok.VTokError, match="not below 2\\^12"):
        model.decode(np.array([1, 2, 4096]))
    with pytest.raises(vtok.VTokError, match="np.uint8 arrays"):
        model.encode(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(vtok.VTokError, match="it needs 4 tiles"):
        model.decode(np.zeros((2, 4), np.int64), size=(300, 300), tiles=True)
    with pytest.raises(vtok.VTokError, match="cannot read model file"):
        vtok.Model("/nonexistent/model.safetensors")
    with pytest.raises(vtok.VTokError, match="vtk_image_load"):
        vtok.load_image("/nonexistent.png")
    data = model.encode(gradient(), tokens=40)
    cut = data[:-5]
    assert model.info(cut)["tokens"] < 40 and model.info(cut)["declared_tokens"] == 40
    assert model.decode(cut).shape == (48, 64, 3)


def test_png_round_trip(tmp_path):
    image = gradient(30, 40)
    vtok.save_png(tmp_path / "x.png", image)
    assert np.array_equal(vtok.load_image(tmp_path / "x.png"), image)


@pytest.mark.parametrize("shared", [True, False], ids=["one shared model", "a model per thread"])
def test_threads(model, shared):
    images = [gradient(70, 90, seed) for seed in range(4)]
    expected = [model.encode(image, tokens=48) for image in images]
    results, failures = {}, []

    def work(thread):
        try:
            own = model if shared else vtok.Model()
            for round_ in range(3):
                index = (thread + round_) % 4
                data = own.encode(images[index], tokens=48)
                results[(thread, round_)] = (index, data, own.decode(data).shape)
        except Exception as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(results) == 18
    for index, data, shape in results.values():
        assert data == expected[index] and shape == (70, 90, 3)


def test_full_resolution_files_grow_with_the_image(model):
    """The shipped model codes images at their own size: a larger image's file holds more tokens,
    token_count says how many before encoding, and more bytes keep buying quality."""
    image = gradient(90, 120)
    ids = model.tokens(image)
    assert ids.shape == (model.token_count(image.shape[:2]),) == (1536 + 320 * 3 * 4,)
    large = np.repeat(np.repeat(gradient(96, 128), 4, axis=0), 4, axis=1)
    assert model.info(model.encode(large))["tokens"] == model.token_count((384, 512)) == 1536 + 320 * 12 * 16
    small, big = model.encode(large, max_bytes=400), model.encode(large, max_bytes=4000)
    assert psnr(large, model.decode(big)) > psnr(large, model.decode(small)) + 1
    with pytest.raises(vtok.VTokError, match="empty"):
        model.token_count((0, 10))
