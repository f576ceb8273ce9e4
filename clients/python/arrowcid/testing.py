"""Tables without an Arrow library, for tests, benchmarks and a first try: int64 columns exported
through the C Stream Interface with ctypes alone (Int64Table), and their values read back through
the C structs (read_int64_columns)."""

from __future__ import annotations

import ctypes
from typing import Any, Optional, Sequence

from . import _cdata

ARROW_FLAG_NULLABLE = 2

_FAILURE = ctypes.create_string_buffer(b"the test producer failed on purpose")

# Every struct and buffer handed out stays referenced here until its release callback runs.
_alive: dict[int, list[Any]] = {}


@_cdata.SCHEMA_RELEASE
def _release_schema(schema: "ctypes._Pointer[_cdata.ArrowSchema]") -> None:
    _alive.pop(ctypes.addressof(schema.contents), None)
    schema.contents.release = _cdata.SCHEMA_RELEASE()


@_cdata.ARRAY_RELEASE
def _release_array(array: "ctypes._Pointer[_cdata.ArrowArray]") -> None:
    _alive.pop(ctypes.addressof(array.contents), None)
    array.contents.release = _cdata.ARRAY_RELEASE()


def _export_schema(out: _cdata.ArrowSchema, names: Sequence[str], nullable: bool) -> None:
    children = [_cdata.ArrowSchema() for _ in names]
    keep: list[Any] = [children]
    for child, name in zip(children, names):
        encoded = ctypes.create_string_buffer(name.encode())
        keep.append(encoded)
        child.format = b"l"
        child.name = ctypes.cast(encoded, ctypes.c_char_p)
        child.flags = ARROW_FLAG_NULLABLE if nullable else 0
        child.release = _cdata.SCHEMA_RELEASE(lambda _: None)
        keep.append(child.release)
    pointers = (ctypes.POINTER(_cdata.ArrowSchema) * len(children))(*[ctypes.pointer(c) for c in children])
    keep.append(pointers)
    out.format = b"+s"
    out.name = None
    out.metadata = None
    out.flags = 0
    out.n_children = len(children)
    out.children = pointers
    out.dictionary = None
    out.private_data = None
    out.release = _release_schema
    _alive[ctypes.addressof(out)] = keep


def _export_batch(out: _cdata.ArrowArray, columns: Sequence[Any]) -> None:
    """Columns are lists of ints (copied into C memory) or ctypes int64 arrays (exported in place)."""
    length = len(columns[0])
    keep: list[Any] = []
    children = []
    for values in columns:
        data = values if isinstance(values, ctypes.Array) else (ctypes.c_int64 * max(1, length))(*values)
        buffers = (ctypes.c_void_p * 2)(None, ctypes.addressof(data))
        child = _cdata.ArrowArray(length=length, null_count=0, offset=0, n_buffers=2, n_children=0, buffers=buffers)
        child.release = _cdata.ARRAY_RELEASE(lambda _: None)
        keep += [data, buffers, child, child.release]
        children.append(child)
    pointers = (ctypes.POINTER(_cdata.ArrowArray) * len(children))(*[ctypes.pointer(c) for c in children])
    top_buffers = (ctypes.c_void_p * 1)(None)
    keep += [pointers, top_buffers]
    out.length = length
    out.null_count = 0
    out.offset = 0
    out.n_buffers = 1
    out.n_children = len(children)
    out.buffers = top_buffers
    out.children = pointers
    out.dictionary = None
    out.private_data = None
    out.release = _release_array
    _alive[ctypes.addressof(out)] = keep


def int64_slices(values: Any, rows_per_batch: int) -> list[dict[str, Any]]:
    """One column "v" over a buffer of int64 values (an array.array('q'), say), cut into batches
    that point into it: a large table without a copy, for Int64Table."""
    whole = (ctypes.c_int64 * len(values)).from_buffer(values)
    batches = []
    for start in range(0, len(values), rows_per_batch):
        count = min(rows_per_batch, len(values) - start)
        view = (ctypes.c_int64 * count).from_address(ctypes.addressof(whole) + start * 8)
        view._base = whole  # type: ignore[attr-defined]  # keeps the buffer alive with the view
        batches.append({"v": view})
    return batches


class Int64Table:
    """Batches of int64 columns, offered through ``__arrow_c_stream__`` (each call a fresh stream).
    A column is a list of ints (copied into C memory per batch) or a ctypes int64 array (exported in place)."""

    def __init__(self, batches: Sequence[dict[str, Any]], nullable: bool = True,
                 fail_at: Optional[int] = None) -> None:
        self.names = list(batches[0].keys())
        self.batches = [[b[n] if isinstance(b[n], ctypes.Array) else list(b[n]) for n in self.names] for b in batches]
        self.nullable = nullable
        self.fail_at = fail_at
        self.released = 0

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        table = self
        position = [0]

        @_cdata.STREAM_GET_SCHEMA
        def get_schema(_: Any, out: "ctypes._Pointer[_cdata.ArrowSchema]") -> int:
            _export_schema(out.contents, table.names, table.nullable)
            return 0

        @_cdata.STREAM_GET_NEXT
        def get_next(_: Any, out: "ctypes._Pointer[_cdata.ArrowArray]") -> int:
            if table.fail_at is not None and position[0] == table.fail_at:
                return 5  # EIO
            if position[0] >= len(table.batches):
                out.contents.release = _cdata.ARRAY_RELEASE()
                return 0
            _export_batch(out.contents, table.batches[position[0]])
            position[0] += 1
            return 0

        @_cdata.STREAM_GET_LAST_ERROR
        def get_last_error(_: Any) -> int:
            return ctypes.addressof(_FAILURE)

        stream = _cdata.allocate_stream()
        callbacks = [get_schema, get_next, get_last_error]

        @_cdata.STREAM_RELEASE
        def release(s: "ctypes._Pointer[_cdata.ArrowArrayStream]") -> None:
            table.released += 1
            _alive.pop(ctypes.addressof(s.contents), None)
            s.contents.release = _cdata.STREAM_RELEASE()

        stream.contents.get_schema = get_schema
        stream.contents.get_next = get_next
        stream.contents.get_last_error = get_last_error
        stream.contents.release = release
        _alive[ctypes.addressof(stream.contents)] = callbacks + [release]
        return _cdata.stream_capsule(stream)


def read_int64_columns(table: Any) -> tuple[list[list[int]], list[int]]:
    """Every int64 column's values, read through the C structs, and the address of every data buffer."""
    capsule = table.__arrow_c_stream__()
    stream = ctypes.cast(_cdata.capsule_pointer(capsule, _cdata.STREAM_CAPSULE), ctypes.POINTER(_cdata.ArrowArrayStream))
    schema = _cdata.ArrowSchema()
    if stream.contents.get_schema(stream, ctypes.byref(schema)) != 0:
        raise RuntimeError("get_schema failed")
    columns: list[list[int]] = [[] for _ in range(schema.n_children)]
    for i in range(schema.n_children):
        if schema.children[i].contents.format != b"l":
            raise RuntimeError(f"column {i} is not int64: {schema.children[i].contents.format!r}")
    schema.release(ctypes.byref(schema))
    addresses: list[int] = []
    while True:
        array = _cdata.ArrowArray()
        if stream.contents.get_next(stream, ctypes.byref(array)) != 0:
            message = stream.contents.get_last_error(stream)
            raise RuntimeError("get_next failed: " + (ctypes.string_at(message).decode() if message else ""))
        if not array.release:
            break
        for i in range(array.n_children):
            child = array.children[i].contents
            data = child.buffers[1]
            addresses.append(int(data))
            values = ctypes.cast(data, ctypes.POINTER(ctypes.c_int64))
            columns[i].extend(values[child.offset + k] for k in range(child.length))
        array.release(ctypes.byref(array))
    del capsule
    return columns, addresses
