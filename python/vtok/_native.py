"""Loading libvtok_c with ctypes: OpenBLAS's core type first, then the library and its signatures."""
import ctypes
import ctypes.util
import os
import pathlib
import subprocess
import sys

LIBRARY_NAME = "libvtok_c.so"


def blas_coretype(cpu_flags):
    """The OPENBLAS_CORETYPE a CPU with these /proc/cpuinfo flags should use, or None.

    The same rule as the vtok command (BLASRuntime.coretype) and scripts/blas-coretype.sh.
    """
    flags = set(cpu_flags.split())
    if {"avx512f", "avx512bw", "avx512vl"} <= flags:
        return "SkylakeX"
    if "avx2" in flags:
        return "Haswell"
    return None


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return line.split(":", 1)[-1]
    except OSError:
        pass
    return ""


# Kernel families tuned for current CPUs (BLASRuntime.modernCorenames): anything else OpenBLAS
# picks on a CPU with AVX2 or AVX-512 is a fallback.
MODERN_CORENAMES = {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"}

_PROBE = (
    "import ctypes, sys\n"
    "blas = ctypes.CDLL(sys.argv[1])\n"
    "corename = getattr(blas, sys.argv[2] + 'openblas_get_corename')\n"
    "corename.restype = ctypes.c_char_p\n"
    "print(corename().decode())\n"
)


def blas_library(library_path):
    """The OpenBLAS that the libvtok_c at `library_path` loads, and its symbols' prefix: a wheel's
    library loads scipy-openblas32 (PyPI's OpenBLAS, its symbols prefixed scipy_) through the
    libopenblas.so.0 beside it; a library built in a checkout, the system's libopenblas.so.0."""
    if library_path and os.path.dirname(os.path.abspath(library_path)) == str(PACKAGE_LIBRARY.parent):
        try:
            import scipy_openblas32
            return os.path.join(scipy_openblas32.get_lib_dir(), scipy_openblas32.get_library(fullname=True)), "scipy_"
        except ImportError:
            return None, ""
    return "libopenblas.so.0", ""


def detected_corename(blas=("libopenblas.so.0", "")):
    """The kernels OpenBLAS picks by itself here, asked in a child process (a library reads
    OPENBLAS_CORETYPE only when it loads, so this process must not load it to find out); None when
    it cannot be asked. `blas`: the library and its symbols' prefix (`blas_library`)."""
    if blas[0] is None:
        return None
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    try:
        result = subprocess.run([sys.executable, "-S", "-c", _PROBE, blas[0], blas[1]], env=environment,
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def coretype_to_set(cpu_flags, corename):
    """What the vtok command decides before re-executing itself (BLASRuntime.reexecutionCoretype):
    a core type only when OpenBLAS fell back to generic kernels on a CPU that has better ones."""
    if corename is not None and corename.lower() in MODERN_CORENAMES:
        return None
    return blas_coretype(cpu_flags)


_COVERED = False


def ensure_blas_coretype():
    """Sets OPENBLAS_CORETYPE in this process's environment when OpenBLAS would pick generic
    kernels on this CPU, unless the user set it.

    Debian's OpenBLAS 0.3.21 misdetects recent CPUs and falls back to generic kernels five times
    slower; it reads the variable only when it is loaded, so this must run before libvtok_c (and
    with it libopenblas) is loaded. The vtok command re-executes itself instead, which a library
    inside someone else's process cannot do. Returns the value now in effect, or None.
    """
    global _COVERED
    if os.environ.get("OPENBLAS_CORETYPE") or _COVERED:
        return os.environ.get("OPENBLAS_CORETYPE")
    _COVERED = True  # asked once per process
    flags = _cpu_flags()
    if blas_coretype(flags) is None:
        return None  # nothing better to ask for: no child process needed
    coretype = coretype_to_set(flags, detected_corename(blas_library(library_path())))
    if coretype:
        os.environ["OPENBLAS_CORETYPE"] = coretype  # os.environ also calls putenv
    return coretype


# Where a wheel carries the library, its libopenblas.so.0 and the shipped model (make wheel).
PACKAGE_LIBRARY = pathlib.Path(__file__).resolve().parent / "_lib" / LIBRARY_NAME


def candidate_paths():
    """Where the library may be, in the order tried: $VTOK_LIBRARY, inside the package (a wheel),
    then the checkout the package was installed from (pip install ./python) or lies in."""
    paths = []
    if os.environ.get("VTOK_LIBRARY"):
        paths.append(os.environ["VTOK_LIBRARY"])
    paths.append(str(PACKAGE_LIBRARY))
    roots = []
    try:
        from . import _repository  # written by setup.py at install time
        roots.append(_repository.REPOSITORY)
    except ImportError:
        pass
    roots.append(str(pathlib.Path(__file__).resolve().parents[2]))  # python/vtok/ in a checkout
    for root in roots:
        path = os.path.join(root, ".build", "release", LIBRARY_NAME)
        if path not in paths:
            paths.append(path)
    return paths


LOADED_PATH = None


def library_path():
    """The first candidate that exists, else the system's libvtok_c, else None."""
    for path in candidate_paths():
        if os.path.exists(path):
            return os.path.abspath(path)
    return ctypes.util.find_library("vtok_c")


def load_library():
    global LOADED_PATH
    ensure_blas_coretype()
    path = library_path()
    if path is None:
        raise ImportError(
            "vtok: cannot find libvtok_c.so. Build it with `swift build -c release --product vtok_c` in the "
            "vtok repository, or set VTOK_LIBRARY to its path. Looked in:\n  "
            + "\n  ".join(candidate_paths() + ["the system library path"]))
    LOADED_PATH = path
    return _declare(ctypes.CDLL(path))


class ModelInfo(ctypes.Structure):
    _fields_ = [
        ("resolution", ctypes.c_int32),
        ("max_tokens", ctypes.c_int32),
        ("bits_per_token", ctypes.c_int32),
        ("groups", ctypes.c_int32),
        ("bits_per_group", ctypes.c_int32),
        ("model_id", ctypes.c_uint8 * 4),
    ]


class EncodeOptions(ctypes.Structure):
    _fields_ = [
        ("tokens", ctypes.c_int32),
        ("max_bytes", ctypes.c_int32),
        ("target_psnr", ctypes.c_double),
        ("tiled", ctypes.c_int32),
    ]


class FileInfo(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int32),
        ("height", ctypes.c_int32),
        ("tiled", ctypes.c_int32),
        ("tile_size", ctypes.c_int32),
        ("tiles", ctypes.c_int32),
        ("tokens", ctypes.c_int32),
        ("declared_tokens", ctypes.c_int32),
        ("bits_per_token", ctypes.c_int32),
        ("model_id", ctypes.c_uint8 * 4),
        ("matches_model", ctypes.c_int32),
    ]


def _declare(lib):
    c_int, c_status, c_void_p, c_size_t = ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t
    u8p = ctypes.POINTER(ctypes.c_uint8)
    u32p = ctypes.POINTER(ctypes.c_uint32)
    ip = ctypes.POINTER(c_int)
    signatures = {
        "vtk_version": (c_int, []),
        "vtk_status_message": (ctypes.c_char_p, [c_int]),
        "vtk_last_error": (ctypes.c_char_p, []),
        "vtk_blas_kernels": (ctypes.c_char_p, []),
        "vtk_free": (None, [c_void_p]),
        "vtk_model_load": (c_status, [ctypes.c_char_p, ctypes.POINTER(c_void_p)]),
        "vtk_model_free": (None, [c_void_p]),
        "vtk_model_default_path": (c_status, [ctypes.POINTER(c_void_p)]),
        "vtk_model_get_info": (c_status, [c_void_p, ctypes.POINTER(ModelInfo)]),
        "vtk_model_token_count": (c_status, [c_void_p, c_int, c_int, ip]),
        "vtk_encode_options_init": (None, [ctypes.POINTER(EncodeOptions)]),
        "vtk_encode": (c_status, [c_void_p, u8p, c_int, c_int, c_int, ctypes.POINTER(EncodeOptions),
                                  ctypes.POINTER(u8p), ctypes.POINTER(c_size_t)]),
        "vtk_encode_tokens": (c_status, [c_void_p, u8p, c_int, c_int, c_int, ctypes.POINTER(EncodeOptions),
                                         ctypes.POINTER(u32p), ip, ip]),
        "vtk_encode_tokens_batch": (c_status, [c_void_p, c_int, ctypes.POINTER(u8p), ip, ip, ip, c_int,
                                               ctypes.POINTER(u32p), ip]),
        "vtk_decode": (c_status, [c_void_p, u8p, c_size_t, ctypes.POINTER(u8p), ip, ip]),
        "vtk_decode_tokens": (c_status, [c_void_p, u32p, c_int, c_int, c_int, c_int, c_int, ctypes.POINTER(u8p)]),
        "vtk_decode_tokens_batch": (c_status, [c_void_p, c_int, u32p, c_int, c_int, c_int, ctypes.POINTER(u8p)]),
        "vtk_get_info": (c_status, [c_void_p, u8p, c_size_t, ctypes.POINTER(FileInfo)]),
        "vtk_image_load": (c_status, [ctypes.c_char_p, ctypes.POINTER(u8p), ip, ip]),
        "vtk_image_decode": (c_status, [u8p, c_size_t, ctypes.POINTER(u8p), ip, ip]),
        "vtk_image_write_png": (c_status, [ctypes.c_char_p, u8p, c_int, c_int, c_int]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib
