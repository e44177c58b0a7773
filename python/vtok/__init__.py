"""vtok: a discrete 1D image tokenizer codec, from Python.

    import numpy as np, vtok
    model = vtok.Model()                        # the shipped model
    image = vtok.load_image("photo.png")        # np.uint8, (height, width, 3)
    data = model.encode(image, tokens=32)       # the bytes of a .vtok file
    ids = model.tokens(image)                   # np.int64, coarse to fine: more for a larger image
    picture = model.decode(ids[:32], size=image.shape[:2])

The shipped model codes an image at its own size: its first 1536 tokens describe the whole image,
the rest add full-resolution detail (`model.token_count(size)` says how many). For rows of one
length, as a dataset needs, `tokens_batch` stretches every image to the model's square first.

Images are numpy arrays of dtype uint8 and shape (height, width, 3), RGB. Sizes are
(height, width), as numpy shapes are. Errors the library reports raise VTokError with its message.

A Model may be shared between threads (calls on it take turns); for parallel work give each thread
its own Model: the library releases the GIL while it works.
"""
from ._native import ensure_blas_coretype as _ensure_blas_coretype

# Before numpy or the library can load OpenBLAS: it reads OPENBLAS_CORETYPE only then.
_ensure_blas_coretype()

import ctypes  # noqa: E402

import numpy as np  # noqa: E402

from ._native import EncodeOptions, FileInfo, ModelInfo, load_library  # noqa: E402

__all__ = ["Model", "VTokError", "load_image", "decode_image", "save_png", "blas_kernels", "library_path",
           "default_model_path", "library_version", "__version__"]
__version__ = "0.2.0"

_lib = load_library()

_GENERIC_KERNELS = {"prescott", "core2", "katmai", "atom", "nehalem", "sandybridge", "penryn", "dunnington", "generic"}


class VTokError(ValueError):
    """An error the vtok library reported: `status` is its vtk_status code, `str()` its message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _check(status):
    if status != 0:
        detail = _lib.vtk_last_error().decode("utf-8", "replace")
        general = _lib.vtk_status_message(status).decode()
        raise VTokError(status, detail or general)


def blas_kernels():
    """The OpenBLAS kernel family the library runs on ("SkylakeX", "Haswell", "Prescott", ...)."""
    return _lib.vtk_blas_kernels().decode()


def library_path():
    """The libvtok_c file this package loaded."""
    from . import _native
    return _native.LOADED_PATH


def default_model_path():
    """The weights file `Model()` loads: $VTOK_MODEL, else the model shipped beside the library."""
    out = ctypes.c_void_p()
    _check(_lib.vtk_model_default_path(ctypes.byref(out)))
    try:
        return ctypes.string_at(out).decode()
    finally:
        _lib.vtk_free(out)


def library_version():
    """libvtok_c's version as "major.minor.revision"."""
    v = _lib.vtk_version()
    return f"{v >> 16}.{(v >> 8) & 0xFF}.{v & 0xFF}"


def _take(pointer, count, dtype):
    """A numpy copy of a library buffer of `count` items, which is then released."""
    try:
        if count == 0:
            return np.zeros(0, dtype=dtype)
        return np.ctypeslib.as_array(pointer, shape=(count,)).astype(dtype, copy=True)
    finally:
        _lib.vtk_free(ctypes.cast(pointer, ctypes.c_void_p))


def _rgb(image):
    """(array kept alive, pointer, width, height, stride) of an RGB image."""
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise VTokError(1, f"images must be np.uint8 arrays of shape (height, width, 3), not {array.dtype} {array.shape}")
    if array.strides[2] != 1 or array.strides[1] != 3 or array.strides[0] < 0:
        array = np.ascontiguousarray(array)
    pointer = array.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
    return array, pointer, array.shape[1], array.shape[0], array.strides[0]


def _bytes_pointer(data):
    buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if len(data) else (ctypes.c_uint8 * 1)()
    return buffer, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_uint8))


def load_image(path):
    """A PNG or JPEG file as np.uint8 (height, width, 3), read by the library."""
    out, width, height = ctypes.POINTER(ctypes.c_uint8)(), ctypes.c_int(), ctypes.c_int()
    _check(_lib.vtk_image_load(str(path).encode(), ctypes.byref(out), ctypes.byref(width), ctypes.byref(height)))
    return _take(out, width.value * height.value * 3, np.uint8).reshape(height.value, width.value, 3)


def decode_image(data):
    """The bytes of a PNG or JPEG file as np.uint8 (height, width, 3), decoded by the library."""
    buffer, pointer = _bytes_pointer(bytes(data))
    out, width, height = ctypes.POINTER(ctypes.c_uint8)(), ctypes.c_int(), ctypes.c_int()
    _check(_lib.vtk_image_decode(pointer, len(data), ctypes.byref(out), ctypes.byref(width), ctypes.byref(height)))
    return _take(out, width.value * height.value * 3, np.uint8).reshape(height.value, width.value, 3)


def save_png(path, image):
    """Writes an np.uint8 (height, width, 3) array as a PNG file."""
    array, pointer, width, height, stride = _rgb(image)
    _check(_lib.vtk_image_write_png(str(path).encode(), pointer, width, height, stride))


class Model:
    """A vtok tokenizer model: the shipped one (path=None) or a weights file."""

    def __init__(self, path=None):
        self.path = str(path) if path is not None else default_model_path()  # the weights file loaded
        handle = ctypes.c_void_p()
        _check(_lib.vtk_model_load(self.path.encode(), ctypes.byref(handle)))
        self._handle = handle
        info = ModelInfo()
        _check(_lib.vtk_model_get_info(handle, ctypes.byref(info)))
        self.resolution = info.resolution          # native square side, px
        self.max_tokens = info.max_tokens          # K: all the tokens of a resolution x resolution image
        self.bits_per_token = info.bits_per_token  # ids lie in 0 ..< 2**bits_per_token
        self.model_id = bytes(info.model_id).hex()

    def close(self):
        """Releases the model now (also done when it is garbage-collected)."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            _lib.vtk_model_free(handle)

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _model(self):
        if not self._handle:
            raise VTokError(1, "the model was closed")
        return self._handle

    @staticmethod
    def _options(tokens, max_bytes, target_psnr, tiles):
        options = EncodeOptions()
        _lib.vtk_encode_options_init(ctypes.byref(options))
        if tokens is not None:
            options.tokens = int(tokens)
        if max_bytes is not None:
            options.max_bytes = int(max_bytes)
        if target_psnr is not None:
            options.target_psnr = float(target_psnr)
        options.tiled = 1 if tiles else 0
        return options

    def token_count(self, size):
        """All the tokens an image of `size=(height, width)` gets in a file: `max_tokens` for a model
        that fits every image to its square, more for a larger image with a full-resolution model."""
        height, width = (int(v) for v in size)
        out = ctypes.c_int()
        _check(_lib.vtk_model_token_count(self._model(), width, height, ctypes.byref(out)))
        return out.value

    # Encoding

    def encode(self, image, tokens=None, max_bytes=None, target_psnr=None, tiles=False):
        """The bytes of a .vtok file for an image. Give at most one of `tokens` (per tile),
        `max_bytes` (the most tokens whose whole file fits) and `target_psnr` (the fewest tokens
        reaching it, dB); default: all `token_count(image.shape[:2])` tokens. `tiles=True` cuts the
        image into native tiles (models that fit images to a square; the shipped one refuses it)."""
        array, pointer, width, height, stride = _rgb(image)
        options = self._options(tokens, max_bytes, target_psnr, tiles)
        out, size = ctypes.POINTER(ctypes.c_uint8)(), ctypes.c_size_t()
        _check(_lib.vtk_encode(self._model(), pointer, width, height, stride, ctypes.byref(options),
                               ctypes.byref(out), ctypes.byref(size)))
        return _take(out, size.value, np.uint8).tobytes()

    def tokens(self, image, tokens=None, max_bytes=None, target_psnr=None, tiles=False):
        """Token ids (np.int64) of an image, the ones `encode` writes: shape (k,), or (tiles, k)
        with tiles=True. The first k of them are exactly the k-token encoding."""
        array, pointer, width, height, stride = _rgb(image)
        options = self._options(tokens, max_bytes, target_psnr, tiles)
        out, count, kept = ctypes.POINTER(ctypes.c_uint32)(), ctypes.c_int(), ctypes.c_int()
        _check(_lib.vtk_encode_tokens(self._model(), pointer, width, height, stride, ctypes.byref(options),
                                      ctypes.byref(out), ctypes.byref(count), ctypes.byref(kept)))
        ids = _take(out, count.value * kept.value, np.int64).reshape(count.value, kept.value)
        return ids if tiles else ids[0]

    def encode_batch(self, images, **options):
        """`encode` of each image: a list of bytes."""
        return [self.encode(image, **options) for image in images]

    def tokens_batch(self, images, tokens=None, **options):
        """Token ids of many whole images, many per network pass: np.int64 of shape (n, k), every
        image stretched to the model's square first, so every row has k (default max_tokens) ids
        (the shipped model's first 1536 are `tokens(image)`'s for the image itself).
        With max_bytes, target_psnr or tiles, a list of `tokens(image, ...)` arrays instead."""
        if options:
            return [self.tokens(image, tokens=tokens, **options) for image in images]
        prepared = [_rgb(image) for image in images]
        n = len(prepared)
        pointers = (ctypes.POINTER(ctypes.c_uint8) * max(n, 1))(*[p[1] for p in prepared])
        widths = (ctypes.c_int * max(n, 1))(*[p[2] for p in prepared])
        heights = (ctypes.c_int * max(n, 1))(*[p[3] for p in prepared])
        strides = (ctypes.c_int * max(n, 1))(*[p[4] for p in prepared])
        out, kept = ctypes.POINTER(ctypes.c_uint32)(), ctypes.c_int()
        _check(_lib.vtk_encode_tokens_batch(self._model(), n, pointers, widths, heights, strides,
                                            -1 if tokens is None else int(tokens), ctypes.byref(out), ctypes.byref(kept)))
        return _take(out, n * kept.value, np.int64).reshape(n, kept.value)

    # Decoding

    def _size(self, size):
        if size is None:
            return self.resolution, self.resolution
        height, width = (int(v) for v in size)
        return height, width

    @staticmethod
    def _ids(ids, ndim):
        array = np.asarray(ids)
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise VTokError(1, f"token ids must be integers, not {array.dtype}")
        if array.ndim != ndim:
            raise VTokError(1, f"token ids must have {ndim} dimension(s), not shape {array.shape}")
        if array.size and (array.min() < 0 or array.max() > 0xFFFFFFFF):
            raise VTokError(1, f"token ids must lie in 0 ..< 2**32, not {array.min()} ... {array.max()}")
        return np.ascontiguousarray(array, dtype=np.uint32)

    def decode(self, data_or_ids, size=None, tiles=False):
        """An image, np.uint8 (height, width, 3), from the bytes of a .vtok file (at the size it
        was encoded from) or from token ids: shape (k,) for the whole image, or (tiles, k) with
        tiles=True. `size=(height, width)` for ids, default the model's native square; the shipped
        model lays its detail tokens out over that size, so give the size they were encoded at."""
        if isinstance(data_or_ids, (bytes, bytearray, memoryview)):
            buffer, pointer = _bytes_pointer(bytes(data_or_ids))
            out, width, height = ctypes.POINTER(ctypes.c_uint8)(), ctypes.c_int(), ctypes.c_int()
            _check(_lib.vtk_decode(self._model(), pointer, len(data_or_ids), ctypes.byref(out),
                                   ctypes.byref(width), ctypes.byref(height)))
            return _take(out, width.value * height.value * 3, np.uint8).reshape(height.value, width.value, 3)
        ids = self._ids(data_or_ids, 2 if tiles else 1)
        if not tiles:
            ids = ids.reshape(1, -1)
        height, width = self._size(size)
        out = ctypes.POINTER(ctypes.c_uint8)()
        _check(_lib.vtk_decode_tokens(self._model(), ids.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
                                      ids.shape[0], ids.shape[1], width, height, 1 if tiles else 0, ctypes.byref(out)))
        return _take(out, width * height * 3, np.uint8).reshape(height, width, 3)

    def decode_batch(self, items, size=None):
        """Many images at once. An (n, k) integer array, or a list of equal-length id arrays (as
        `tokens_batch` gives them), is decoded many per network pass as the model's square, stretched
        to `size`, into one np.uint8 array (n, height, width, 3); a list of
        .vtok byte strings (or mixed) gives a list of arrays, each `decode(item, size)`."""
        if isinstance(items, np.ndarray) or (
                len(items) and all(not isinstance(i, (bytes, bytearray, memoryview)) for i in items)
                and len({len(i) for i in items}) == 1):
            ids = self._ids(np.asarray(items), 2)
            height, width = self._size(size)
            n = ids.shape[0]
            out = ctypes.POINTER(ctypes.c_uint8)()
            _check(_lib.vtk_decode_tokens_batch(self._model(), n, ids.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
                                                ids.shape[1], width, height, ctypes.byref(out)))
            return _take(out, n * height * width * 3, np.uint8).reshape(n, height, width, 3)
        return [self.decode(item, size=size) for item in items]

    # Files

    def info(self, data):
        """A .vtok file's description, without decoding: a dict."""
        buffer, pointer = _bytes_pointer(bytes(data))
        info = FileInfo()
        _check(_lib.vtk_get_info(self._model(), pointer, len(data), ctypes.byref(info)))
        return {
            "width": info.width, "height": info.height, "tiled": bool(info.tiled), "tile_size": info.tile_size,
            "tiles": info.tiles, "tokens": info.tokens, "declared_tokens": info.declared_tokens,
            "bits_per_token": info.bits_per_token, "model_id": bytes(info.model_id).hex(),
            "matches_model": bool(info.matches_model),
        }
