"""Finding and declaring libarrowcid (include/arrowcid.h) for ctypes."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from ._cdata import ArrowArray, ArrowArrayStream, ArrowSchema

LIBRARY_VARIABLE = "ARROWCID_LIBRARY"
LIBRARY_FILE = "libarrowcid.so"
CID_CAP = 128


def library_path() -> Path:
    """``$ARROWCID_LIBRARY``, else the copy bundled in the package, else the checkout's build."""
    explicit = os.environ.get(LIBRARY_VARIABLE)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise OSError(f"{LIBRARY_VARIABLE}={explicit}: no such file")
        return path
    here = Path(__file__).resolve().parent
    bundled = here / LIBRARY_FILE
    if bundled.is_file():
        return bundled
    for parent in here.parents:
        built = parent / "artifacts" / "native" / LIBRARY_FILE
        if built.is_file():
            return built
    raise OSError(
        f"{LIBRARY_FILE} not found: set {LIBRARY_VARIABLE}, or build it with "
        "`dotnet publish src/ArrowCid.Native -c Release -r linux-x64 -o artifacts/native`")


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    c_int, c_char_p, c_void_p, c_size_t = ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t
    stream_p = ctypes.POINTER(ArrowArrayStream)
    signatures: dict[str, tuple[object, list[object]]] = {
        "arrowcid_version": (c_char_p, []),
        "arrowcid_isa": (c_char_p, []),
        "arrowcid_last_error": (c_char_p, []),
        "arrowcid_free": (None, [c_void_p]),
        "arrowcid_cid_of": (c_int, [stream_p, c_char_p, c_size_t]),
        "arrowcid_stream_of_array": (c_int, [ctypes.POINTER(ArrowSchema), ctypes.POINTER(ArrowArray), stream_p]),
        "arrowcid_repo_open": (c_int, [c_char_p, ctypes.POINTER(c_void_p)]),
        "arrowcid_repo_close": (None, [c_void_p]),
        "arrowcid_put": (c_int, [c_void_p, stream_p, c_char_p, c_char_p, c_size_t]),
        "arrowcid_get": (c_int, [c_void_p, c_char_p, stream_p]),
        "arrowcid_names": (c_int, [c_void_p, ctypes.POINTER(c_void_p)]),
        "arrowcid_log": (c_int, [c_void_p, c_char_p, ctypes.POINTER(c_void_p)]),
        "arrowcid_shm_open": (c_int, [c_char_p, c_char_p, ctypes.POINTER(c_void_p)]),
        "arrowcid_shm_close": (None, [c_void_p]),
        "arrowcid_shm_publish": (c_int, [c_void_p, stream_p, c_char_p, c_size_t]),
        "arrowcid_shm_attach": (c_int, [c_void_p, c_char_p, stream_p]),
        "arrowcid_shm_next": (c_int, [c_void_p, ctypes.POINTER(ctypes.c_uint64), c_int, c_char_p, c_size_t]),
        "arrowcid_shm_cursor": (c_int, [c_void_p, ctypes.POINTER(ctypes.c_uint64)]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


_lib: ctypes.CDLL | None = None


def lib() -> ctypes.CDLL:
    """The loaded library (loaded once, on first use)."""
    global _lib
    if _lib is None:
        _lib = _declare(ctypes.CDLL(str(library_path())))
    return _lib
