"""The arrowcid package against libarrowcid and the arrowcid CLI (both built from this checkout).

Run from the repository root: ``python3 -m pytest clients/python/tests``. The package is imported
from this checkout (pyproject.toml's pytest settings); the library is the checkout's
artifacts/native build and the CLI ``arrowcid`` on PATH or the checkout's build, unless
ARROWCID_LIBRARY and ARROWCID_CLI name others.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

import arrowcid
from arrowcid import _cdata
from arrowcid.testing import Int64Table, read_int64_columns

ROOT = Path(__file__).resolve().parents[3]


def cli() -> str:
    """The arrowcid CLI: ``$ARROWCID_CLI``, else ``arrowcid`` on PATH, else a build in this checkout."""
    explicit = os.environ.get("ARROWCID_CLI")
    if explicit:
        return explicit
    on_path = shutil.which("arrowcid")
    if on_path:
        return on_path
    built = [ROOT / "artifacts" / "publish" / "linux-x64" / "arrowcid"] + [
        ROOT / "artifacts" / "bin" / "ArrowCid.Cli" / configuration / "arrowcid" for configuration in ("release", "debug")]
    for candidate in built:
        if candidate.is_file():
            return str(candidate)
    pytest.fail("no arrowcid CLI: put it on PATH, set ARROWCID_CLI, or build it (`dotnet build src/ArrowCid.Cli`)")


def run_cli(*arguments: str) -> str:
    done = subprocess.run([cli(), *arguments], check=True, capture_output=True, text=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[arrowcid.Repository]:
    with arrowcid.Repository(str(tmp_path / "repo")) as repository:
        yield repository


@pytest.fixture
def shm_dir(tmp_path: Path) -> Iterator[str]:
    # Under /dev/shm when there is one (tmpfs, as users have it), else the test's folder.
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else tmp_path
    folder = base / f"arrowcid-pytest-{os.getpid()}-{tmp_path.name}"
    yield str(folder)
    subprocess.run(["rm", "-rf", str(folder)], check=False)


class CapsuleHolder:
    """Offers one given capsule, to watch what a consumer does to it."""

    def __init__(self, capsule: Any) -> None:
        self.capsule = capsule

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.capsule


def test_the_version_is_the_library_s() -> None:
    assert arrowcid.version().count(".") == 2


def test_cid_of_equals_the_cli_s_cid_for_the_same_rows(tmp_path: Path) -> None:
    csv = tmp_path / "v.csv"
    csv.write_text("v\n" + "\n".join(str(i) for i in range(1000)) + "\n")
    expected = run_cli("cid", str(csv)).split()[1]
    # However the rows are batched, the CID is the rows'.
    assert arrowcid.cid_of(Int64Table([{"v": list(range(1000))}])) == expected
    assert arrowcid.cid_of(Int64Table([{"v": list(range(400))}, {"v": list(range(400, 1000))}])) == expected
    assert arrowcid.cid_of(Int64Table([{"v": list(range(1000))}], nullable=False)) != expected


def test_a_table_s_capsule_follows_the_pycapsule_interface(repo: arrowcid.Repository) -> None:
    cid = repo.put(Int64Table([{"v": [1, 2, 3]}]))
    capsule = repo.get(cid).__arrow_c_stream__()
    name = ctypes.pythonapi.PyCapsule_GetName
    name.restype, name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    assert name(capsule) == b"arrow_array_stream"
    stream = ctypes.cast(_cdata.capsule_pointer(capsule, _cdata.STREAM_CAPSULE), ctypes.POINTER(_cdata.ArrowArrayStream))
    assert stream.contents.release
    # A consumer moves the stream: its release is NULL afterwards, so the capsule frees only the struct.
    assert arrowcid.cid_of(CapsuleHolder(capsule)) == cid
    assert not stream.contents.release


def test_put_then_get_gives_the_rows_back_zero_copy_from_the_blocks(repo: arrowcid.Repository) -> None:
    rows = list(range(-5, 5000))
    cid = repo.put(Int64Table([{"a": rows[:3000], "b": rows[:3000]}, {"a": rows[3000:], "b": rows[3000:]}]), name="ints")
    assert cid == arrowcid.cid_of(Int64Table([{"a": rows, "b": rows}]))
    for ref in (cid, "ints", "ints@1"):
        columns, _ = read_int64_columns(repo.get(ref))
        assert columns == [rows, rows]


def test_names_and_log_list_the_versions(repo: arrowcid.Repository) -> None:
    first = repo.put(Int64Table([{"v": [1]}]), name="series")
    second = repo.put(Int64Table([{"v": [1, 2]}]), name="series")
    assert [(n["name"], n["version"], n["cid"]) for n in repo.names()] == [("series", 2, second)]
    log = repo.log("series")
    assert [(v["version"], v["cid"], v["rows"]) for v in log] == [(2, second, 2), (1, first, 1)]


def test_failures_are_typed_exceptions(repo: arrowcid.Repository) -> None:
    unknown = arrowcid.cid_of(Int64Table([{"v": [42]}]))
    with pytest.raises(arrowcid.NotFound):
        repo.get(unknown)
    with pytest.raises(arrowcid.NotFound, match="no table"):
        repo.get("no-such-name")
    with pytest.raises(arrowcid.NotFound):
        repo.log("no-such-name")
    with pytest.raises(arrowcid.InvalidArgument):
        repo.get("not a name @ all")
    producer = Int64Table([{"v": [1]}, {"v": [2]}], fail_at=1)
    with pytest.raises(arrowcid.StreamError, match="failed on purpose"):
        repo.put(producer)
    assert producer.released == 1  # the library released the failing stream, once
    with pytest.raises(TypeError):
        arrowcid.cid_of(object())
    # An array that does not match the stream's schema (two columns for one) mid-stream.
    changing = Int64Table([{"v": [1, 2]}, {"v": [3, 4]}])
    changing.batches[1] = [[3, 4], [5, 6]]
    with pytest.raises(arrowcid.StreamError, match="input stream"):
        repo.put(changing, name="never")
    assert changing.released == 1
    assert repo.names() == []


def test_a_closed_repository_is_an_error_not_a_crash(tmp_path: Path) -> None:
    repository = arrowcid.Repository(str(tmp_path / "closed"))
    cid = repository.put(Int64Table([{"v": [7, 8]}]))
    table = repository.get(cid)
    stream = table.__arrow_c_stream__()
    repository.close()
    with pytest.raises(arrowcid.Closed):
        repository.names()
    with pytest.raises(arrowcid.Closed):
        table.__arrow_c_stream__()  # a new stream needs the repository
    repository.close()  # twice: ignored
    # A stream handed out before the close stays readable.
    assert read_int64_columns(CapsuleHolder(stream))[0] == [[7, 8]]


def damage_block_files(folder: Path) -> None:
    """Flips one byte in the middle of every block stored as a file of its own (packs hold small ones)."""
    blocks = [f for f in folder.rglob("*") if f.is_file() and f.stat().st_size > 100_000]
    assert blocks
    for block in blocks:
        with open(block, "r+b") as file:
            file.seek(block.stat().st_size // 2)
            byte = file.read(1)
            file.seek(-1, 1)
            file.write(bytes([byte[0] ^ 0xFF]))


def test_a_damaged_one_chunk_table_is_corrupt_when_got(repo: arrowcid.Repository, tmp_path: Path) -> None:
    cid = repo.put(Int64Table([{"v": list(range(20_000))}]))  # 160 KB: one chunk
    assert cid.startswith("bafkrei")
    damage_block_files(tmp_path / "repo" / "blocks")
    with pytest.raises(arrowcid.Corrupt, match="does not hash"):
        repo.get(cid)


def test_a_damaged_chunk_fails_the_stream_before_its_rows_are_handed_out(repo: arrowcid.Repository, tmp_path: Path) -> None:
    cid = repo.put(Int64Table([{"v": list(range(200_000))}]))  # 1.6 MB: several chunks
    assert cid.startswith("bafyrei")
    damage_block_files(tmp_path / "repo" / "blocks")
    table = repo.get(cid)  # the root is fine; each chunk is checked when get_next reaches it
    with pytest.raises(RuntimeError, match="get_next failed: .*does not hash to its CID"):
        read_int64_columns(table)


def test_an_array_producer_is_taken_too(repo: arrowcid.Repository) -> None:
    class OneBatch:
        def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]:
            capsule = Int64Table([{"v": [5, 6, 7]}]).__arrow_c_stream__()
            stream = ctypes.cast(_cdata.capsule_pointer(capsule, _cdata.STREAM_CAPSULE), ctypes.POINTER(_cdata.ArrowArrayStream))
            self.schema, self.array = _cdata.ArrowSchema(), _cdata.ArrowArray()
            assert stream.contents.get_schema(stream, ctypes.byref(self.schema)) == 0
            assert stream.contents.get_next(stream, ctypes.byref(self.array)) == 0
            new = ctypes.pythonapi.PyCapsule_New
            new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
            return new(ctypes.addressof(self.schema), b"arrow_schema", None), new(ctypes.addressof(self.array), b"arrow_array", None)

    batch = OneBatch()
    assert repo.put(batch) == arrowcid.cid_of(Int64Table([{"v": [5, 6, 7]}]))
    # Both structs were moved into the library.
    assert not batch.schema.release and not batch.array.release


def mappings_under(folder: str) -> list[tuple[int, int]]:
    ranges = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5].startswith(folder):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                ranges.append((start, end))
    return ranges


def test_an_attached_table_points_into_the_shared_memory_mapping(shm_dir: str) -> None:
    rows = list(range(300_000))  # 2.4 MB: several chunks, each a segment
    with arrowcid.SharedMemory("zero-copy", base_dir=shm_dir) as shm:
        cid = shm.publish(Int64Table([{"v": rows}]))
        assert cid == arrowcid.cid_of(Int64Table([{"v": rows}]))
        table = shm.attach(cid)
        capsule = table.__arrow_c_stream__()
        stream = ctypes.cast(_cdata.capsule_pointer(capsule, _cdata.STREAM_CAPSULE), ctypes.POINTER(_cdata.ArrowArrayStream))
        schema = _cdata.ArrowSchema()
        assert stream.contents.get_schema(stream, ctypes.byref(schema)) == 0
        schema.release(ctypes.byref(schema))
        arrays = []
        while True:
            array = _cdata.ArrowArray()
            assert stream.contents.get_next(stream, ctypes.byref(array)) == 0
            if not array.release:
                break
            arrays.append(array)
        assert len(arrays) > 1
        ranges = mappings_under(shm_dir)
        values: list[int] = []
        for array in arrays:
            child = array.children[0].contents
            address = int(child.buffers[1])
            assert any(start <= address < end for start, end in ranges), f"{address:#x} is not in a mapping under {shm_dir}"
            data = ctypes.cast(child.buffers[1], ctypes.POINTER(ctypes.c_int64))
            values.extend(data[child.offset + k] for k in range(child.length))
            array.release(ctypes.byref(array))
        assert values == rows
        del capsule


def test_an_unknown_cid_in_shared_memory_is_not_found(shm_dir: str) -> None:
    with arrowcid.SharedMemory("missing", base_dir=shm_dir) as shm:
        with pytest.raises(arrowcid.NotFound):
            shm.attach(arrowcid.cid_of(Int64Table([{"v": [1]}])))
        with pytest.raises(arrowcid.InvalidArgument):
            shm.attach("not-a-cid")
        assert list(shm.subscribe(after=shm.cursor(), timeout=0.05)) == []


def test_a_csharp_publisher_feeds_a_python_subscriber(shm_dir: str, tmp_path: Path) -> None:
    # The C# side is the CLI: a table put from CSV, written as an Arrow IPC stream, published.
    repository = str(tmp_path / "cli-repo")
    cids, files = [], []
    for k in (1, 2):
        csv = tmp_path / f"v{k}.csv"
        csv.write_text("v\n" + "\n".join(str(i * k) for i in range(50)) + "\n")
        cids.append(run_cli("put", "--repo", repository, str(csv)).split()[1])
        files.append(tmp_path / f"v{k}.arrows")
        run_cli("get", "--repo", repository, cids[-1], "-o", str(files[-1]))

    with arrowcid.SharedMemory("feed", base_dir=shm_dir) as shm:
        start = shm.cursor()
        received: list[arrowcid.Notice] = []
        ready = threading.Event()

        def follow() -> None:
            ready.set()
            for notice in shm.subscribe(after=start, timeout=60):
                received.append(notice)
                if len(received) == 2:
                    return

        follower = threading.Thread(target=follow)
        follower.start()
        ready.wait()
        for stream_file in files:
            run_cli("shm", "publish", "--table", "--shm-dir", shm_dir, "--store", "feed", str(stream_file))
        follower.join(timeout=120)
        assert [n.cid for n in received] == cids
        assert received[1].sequence == received[0].sequence + 1
        assert read_int64_columns(shm.attach(received[1].cid))[0] == [[i * 2 for i in range(50)]]
