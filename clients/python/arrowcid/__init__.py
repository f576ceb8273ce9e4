"""ArrowCid from Python: CIDs, the repository and shared memory through libarrowcid.

Tables go in as any object with ``__arrow_c_stream__`` or ``__arrow_c_array__`` (pyarrow,
polars, duckdb, nanoarrow, or a Table of this package) and come out as a :class:`Table`, whose
``__arrow_c_stream__`` hands each consumer a fresh stream over mapped, verified blocks (no copy).
"""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from . import _cdata
from ._library import CID_CAP, lib, library_path

__all__ = [
    "ArrowCidError", "NotFound", "InvalidArgument", "Corrupt", "StorageError", "Timeout", "Closed",
    "BufferTooSmall", "StreamError", "InternalError",
    "Notice", "Repository", "SharedMemory", "Table", "cid_of", "isa", "library_path", "version",
]


class ArrowCidError(Exception):
    """A failure libarrowcid reported: ``code`` is its ARROWCID_E_* value, the message its text."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotFound(ArrowCidError, KeyError):
    """No such CID, name, version or shared-memory segment (ARROWCID_E_NOT_FOUND)."""

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidArgument(ArrowCidError, ValueError):
    """Malformed text (a CID, a name) or a table ArrowCid cannot take (ARROWCID_E_INVALID_ARGUMENT)."""


class Corrupt(ArrowCidError):
    """Stored or shared bytes do not hash to their CID (ARROWCID_E_CORRUPT)."""


class StorageError(ArrowCidError, OSError):
    """The file system or the store failed: a full disk, permissions, a full store (ARROWCID_E_IO)."""


class Timeout(ArrowCidError, TimeoutError):
    """No notice came in time (ARROWCID_E_TIMEOUT)."""


class Closed(ArrowCidError):
    """The repository or store was closed (ARROWCID_E_CLOSED)."""


class BufferTooSmall(ArrowCidError):
    """A text buffer was too small (ARROWCID_E_BUFFER_TOO_SMALL): a bug of this package if seen."""


class StreamError(ArrowCidError):
    """The input's stream failed, or an array did not match its schema (ARROWCID_E_STREAM)."""


class InternalError(ArrowCidError):
    """A failure libarrowcid did not expect (ARROWCID_E_INTERNAL)."""


_ERRORS: dict[int, type[ArrowCidError]] = {
    -1: NotFound, -2: InvalidArgument, -3: Corrupt, -4: StorageError, -5: Timeout,
    -6: Closed, -7: BufferTooSmall, -8: StreamError, -9: InternalError,
}


def _check(code: int) -> None:
    if code != 0:
        message = (lib().arrowcid_last_error() or b"").decode("utf-8", "replace")
        raise _ERRORS.get(code, ArrowCidError)(code, message)


def version() -> str:
    """libarrowcid's version."""
    return bytes(lib().arrowcid_version()).decode()


def isa() -> str:
    """The x86-64 level of the build of libarrowcid in use ("x86-64-v4", "x86-64-v3" or
    "x86-64-v2"): the best this CPU runs, or what ``ARROWCID_ISA`` caps it at; "none" when no
    build loaded (every call then raises :class:`InternalError` saying why)."""
    return bytes(lib().arrowcid_isa()).decode()


def _with_input_stream(data: Any, call: Callable[["ctypes._Pointer[_cdata.ArrowArrayStream]"], int]) -> None:
    """Runs ``call`` on a C stream of ``data``'s rows; the library moves (and releases) it."""
    if hasattr(data, "__arrow_c_stream__"):
        capsule = data.__arrow_c_stream__()
        address = _cdata.capsule_pointer(capsule, _cdata.STREAM_CAPSULE)
        # The capsule stays referenced through the call; its destructor then finds the stream moved.
        _check(call(ctypes.cast(address, ctypes.POINTER(_cdata.ArrowArrayStream))))
        del capsule
        return
    if hasattr(data, "__arrow_c_array__"):
        schema_capsule, array_capsule = data.__arrow_c_array__()
        schema = ctypes.cast(_cdata.capsule_pointer(schema_capsule, _cdata.SCHEMA_CAPSULE), ctypes.POINTER(_cdata.ArrowSchema))
        array = ctypes.cast(_cdata.capsule_pointer(array_capsule, _cdata.ARRAY_CAPSULE), ctypes.POINTER(_cdata.ArrowArray))
        stream = _cdata.allocate_stream()
        try:
            _check(lib().arrowcid_stream_of_array(schema, array, stream))
            _check(call(stream))
        finally:
            _cdata.free_stream(stream)
        return
    raise TypeError(f"{type(data).__name__} has neither __arrow_c_stream__ nor __arrow_c_array__")


def _cid_buffer() -> ctypes.Array[ctypes.c_char]:
    return ctypes.create_string_buffer(CID_CAP)


def cid_of(data: Any) -> str:
    """The table CID of ``data``'s rows: what ``arrowcid cid`` prints and a put of them gives."""
    cid = _cid_buffer()
    _with_input_stream(data, lambda stream: lib().arrowcid_cid_of(stream, cid, CID_CAP))
    return cid.value.decode()


class Table:
    """A stored or shared table. Each ``__arrow_c_stream__`` call opens a fresh stream over it."""

    def __init__(self, ref: str, opener: Callable[["ctypes._Pointer[_cdata.ArrowArrayStream]"], int]) -> None:
        self.ref = ref
        self._opener = opener

    def __arrow_c_stream__(self, requested_schema: Optional[Any] = None) -> Any:
        """An ``arrow_array_stream`` capsule. A requested schema is not applied: the table's own is given."""
        stream = _cdata.allocate_stream()
        try:
            _check(self._opener(stream))
        except BaseException:
            _cdata.free_stream(stream)
            raise
        return _cdata.stream_capsule(stream)

    def __repr__(self) -> str:
        return f"arrowcid.Table({self.ref!r})"


def _take_text(pointer: ctypes.c_void_p) -> str:
    try:
        return ctypes.string_at(pointer.value).decode() if pointer.value else ""
    finally:
        lib().arrowcid_free(pointer)


class Repository:
    """A repository folder: ``path`` or, when None, ``$ARROWCID_REPO``, else ``~/.arrowcid``."""

    def __init__(self, path: Optional[str] = None) -> None:
        handle = ctypes.c_void_p()
        _check(lib().arrowcid_repo_open(path.encode() if path is not None else None, ctypes.byref(handle)))
        self._handle = handle

    def put(self, data: Any, name: Optional[str] = None) -> str:
        """Stores ``data``'s rows as a table (and, with ``name``, as that name's next version); its CID."""
        cid = _cid_buffer()
        encoded = name.encode() if name is not None else None
        _with_input_stream(data, lambda stream: lib().arrowcid_put(self._handle, stream, encoded, cid, CID_CAP))
        return cid.value.decode()

    def get(self, ref: str) -> Table:
        """The table a CID, ``NAME`` or ``NAME@N`` names (NotFound is raised here when it is unknown)."""
        encoded = ref.encode()
        table = Table(ref, lambda stream: lib().arrowcid_get(self._handle, encoded, stream))
        # Opened once now, so an unknown reference fails here rather than in a consumer.
        capsule = table.__arrow_c_stream__()
        del capsule
        return table

    def names(self) -> list[dict[str, Any]]:
        """Each name with its latest version: ``name``, ``version``, ``cid``, ``created``."""
        text = ctypes.c_void_p()
        _check(lib().arrowcid_names(self._handle, ctypes.byref(text)))
        return list(json.loads(_take_text(text)))

    def log(self, name: str) -> list[dict[str, Any]]:
        """A name's versions, newest first: ``version``, ``cid``, ``rows``, ``bytes``, ``created``, ``tags``..."""
        text = ctypes.c_void_p()
        _check(lib().arrowcid_log(self._handle, name.encode(), ctypes.byref(text)))
        return list(json.loads(_take_text(text)))

    def close(self) -> None:
        """Closes the repository; tables already handed out stay readable."""
        lib().arrowcid_repo_close(self._handle)

    def __enter__(self) -> "Repository":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass(frozen=True)
class Notice:
    """A table announced on a shared-memory store's feed."""

    sequence: int
    cid: str


class SharedMemory:
    """A shared-memory store on this host (``store`` under ``base_dir``; defaults as the CLI's)."""

    def __init__(self, store: Optional[str] = None, base_dir: Optional[str] = None) -> None:
        handle = ctypes.c_void_p()
        _check(lib().arrowcid_shm_open(
            base_dir.encode() if base_dir is not None else None,
            store.encode() if store is not None else None,
            ctypes.byref(handle)))
        self._handle = handle

    def publish(self, data: Any) -> str:
        """Publishes ``data``'s rows as one table and announces it; its CID."""
        cid = _cid_buffer()
        _with_input_stream(data, lambda stream: lib().arrowcid_shm_publish(self._handle, stream, cid, CID_CAP))
        return cid.value.decode()

    def attach(self, cid: str) -> Table:
        """The published table, zero copy (each chunk verified when first read, leased until released)."""
        encoded = cid.encode()
        table = Table(cid, lambda stream: lib().arrowcid_shm_attach(self._handle, encoded, stream))
        capsule = table.__arrow_c_stream__()
        del capsule
        return table

    def cursor(self) -> int:
        """The sequence of the newest notice so far (subscribe after it for only new ones)."""
        value = ctypes.c_uint64()
        _check(lib().arrowcid_shm_cursor(self._handle, ctypes.byref(value)))
        return value.value

    def subscribe(self, after: int = 0, timeout: Optional[float] = None) -> Iterator[Notice]:
        """Each notice after sequence ``after``, in order, as it comes; ends when ``timeout`` seconds pass without one."""
        cursor = ctypes.c_uint64(after)
        cid = _cid_buffer()
        # Waits in slices, so Ctrl-C is noticed between them.
        slice_ms = 200 if timeout is None else max(0, min(200, int(timeout * 1000)))
        waited = 0.0
        while True:
            code = lib().arrowcid_shm_next(self._handle, ctypes.byref(cursor), slice_ms, cid, CID_CAP)
            if code == -5:
                waited += slice_ms / 1000
                if timeout is not None and waited >= timeout:
                    return
                continue
            _check(code)
            waited = 0.0
            yield Notice(cursor.value, cid.value.decode())

    def close(self) -> None:
        """Closes the store; attached tables stay readable."""
        lib().arrowcid_shm_close(self._handle)

    def __enter__(self) -> "SharedMemory":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
