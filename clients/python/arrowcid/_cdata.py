"""The Arrow C Data and C Stream Interface structs, and PyCapsules that carry them.

The structs follow the Arrow specification (CDataInterface.rst, CStreamInterface.rst). Capsules
follow the PyCapsule interface: a stream capsule is named ``arrow_array_stream``; its destructor
releases the stream unless a consumer has moved it (set ``release`` to NULL), then frees the
struct, which is malloc'ed so that it outlives any Python object.
"""

from __future__ import annotations

import ctypes
from typing import Any


class ArrowSchema(ctypes.Structure):
    pass


class ArrowArray(ctypes.Structure):
    pass


class ArrowArrayStream(ctypes.Structure):
    pass


SCHEMA_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))
ARRAY_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))
STREAM_GET_SCHEMA = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ArrowArrayStream), ctypes.POINTER(ArrowSchema))
STREAM_GET_NEXT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ArrowArrayStream), ctypes.POINTER(ArrowArray))
# Returns the address of NUL-terminated text the producer keeps (a c_char_p result would leak).
STREAM_GET_LAST_ERROR = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(ArrowArrayStream))
STREAM_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArrayStream))

ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_void_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
    ("dictionary", ctypes.POINTER(ArrowSchema)),
    ("release", SCHEMA_RELEASE),
    ("private_data", ctypes.c_void_p),
]

ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
    ("dictionary", ctypes.POINTER(ArrowArray)),
    ("release", ARRAY_RELEASE),
    ("private_data", ctypes.c_void_p),
]

ArrowArrayStream._fields_ = [
    ("get_schema", STREAM_GET_SCHEMA),
    ("get_next", STREAM_GET_NEXT),
    ("get_last_error", STREAM_GET_LAST_ERROR),
    ("release", STREAM_RELEASE),
    ("private_data", ctypes.c_void_p),
]

STREAM_CAPSULE = b"arrow_array_stream"
SCHEMA_CAPSULE = b"arrow_schema"
ARRAY_CAPSULE = b"arrow_array"

_libc = ctypes.CDLL(None)
_libc.malloc.restype = ctypes.c_void_p
_libc.malloc.argtypes = [ctypes.c_size_t]
_libc.free.restype = None
_libc.free.argtypes = [ctypes.c_void_p]

_capsule_new = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)(
    ("PyCapsule_New", ctypes.pythonapi))
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))
# The destructor gets the capsule as a raw pointer: it is being destroyed, so no reference may be
# taken to it (a py_object argument would take one).
_capsule_pointer_raw = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))
CAPSULE_DESTRUCTOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def allocate_stream() -> "ctypes._Pointer[ArrowArrayStream]":
    """A zeroed (released) ArrowArrayStream in malloc'ed memory."""
    address = _libc.malloc(ctypes.sizeof(ArrowArrayStream))
    if not address:
        raise MemoryError("malloc failed for an ArrowArrayStream")
    ctypes.memset(address, 0, ctypes.sizeof(ArrowArrayStream))
    return ctypes.cast(address, ctypes.POINTER(ArrowArrayStream))


def free_stream(stream: "ctypes._Pointer[ArrowArrayStream]") -> None:
    """Releases the stream unless it was moved, then frees the struct."""
    if stream.contents.release:
        stream.contents.release(stream)
    _libc.free(ctypes.cast(stream, ctypes.c_void_p))


@CAPSULE_DESTRUCTOR
def _release_stream_capsule(capsule: int) -> None:
    address = _capsule_pointer_raw(capsule, STREAM_CAPSULE)
    if address:
        free_stream(ctypes.cast(address, ctypes.POINTER(ArrowArrayStream)))


def stream_capsule(stream: "ctypes._Pointer[ArrowArrayStream]") -> Any:
    """Wraps a malloc'ed stream (see allocate_stream) in an ``arrow_array_stream`` capsule that owns it."""
    return _capsule_new(ctypes.cast(stream, ctypes.c_void_p), STREAM_CAPSULE, ctypes.cast(_release_stream_capsule, ctypes.c_void_p))


def capsule_pointer(capsule: Any, name: bytes) -> int:
    """The pointer a capsule carries; ValueError (from Python) when the name does not match."""
    address = _capsule_pointer(capsule, name)
    if not address:
        raise ValueError(f"not a {name.decode()} capsule")
    return int(address)
