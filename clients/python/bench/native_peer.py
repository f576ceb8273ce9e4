"""The Python side of `arrowcid bench native`: each mode prints one JSON object (or, for follow,
one line per notice) for the C# driver, which measures its own side in the same run.

  native_peer.py cid-put REPO MIB       cid_of and put of an int64 table of MIB MiB through the C ABI,
                                        and SHA-256 (hashlib) of the same bytes on as many threads
                                        as cid_of uses (every core), and on one
  native_peer.py attach BASE STORE CID1 CID2
                                        median time of attach + release of each table
  native_peer.py follow BASE STORE CURSOR COUNT
                                        "<sequence> <monotonic ns at wake-up>" per notice
"""

from __future__ import annotations

import array
import ctypes
import hashlib
import json
import statistics
import os
import sys
import threading
import time

import arrowcid
from arrowcid import _cdata
from arrowcid.testing import Int64Table, int64_slices

ROWS_PER_BATCH = 1 << 17  # 1 MiB batches pointing into one buffer


def best_of(runs: int, action: "callable[[], object]") -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def sha256_on_threads(data: memoryview, threads: int) -> None:
    """SHA-256 of `data` shared out among `threads` threads (hashlib lets go of the GIL while it hashes)."""
    share = len(data) // threads
    parts = [data[i * share : len(data) if i == threads - 1 else (i + 1) * share] for i in range(threads)]
    workers = [threading.Thread(target=hashlib.sha256, args=(part,)) for part in parts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def cid_put(repo: str, mib: int) -> dict[str, object]:
    values = array.array("q", range(mib << 17))
    table = Int64Table(int64_slices(values, ROWS_PER_BATCH), nullable=False)
    data = memoryview(values).cast("B")
    arrowcid.cid_of(Int64Table(int64_slices(values[: 1 << 20], ROWS_PER_BATCH), nullable=False))  # warm-up
    # cid_of hashes on every core: its reference does too, so what else runs slows both alike.
    threads = os.cpu_count() or 1
    sha = best_of(3, lambda: sha256_on_threads(data, threads))
    sha_one_thread = best_of(3, lambda: hashlib.sha256(data).digest())
    cid = best_of(3, lambda: arrowcid.cid_of(table))
    with arrowcid.Repository(repo) as repository:
        put = best_of(3, lambda: repository.put(table))
    return {
        "isa": arrowcid.isa(),
        "bytes": len(data),
        "sha256_seconds": sha,
        "sha256_one_thread_seconds": sha_one_thread,
        "cid_seconds": cid,
        "put_seconds": put,
    }


def attach(base: str, store: str, cids: list[str]) -> dict[str, float]:
    result: dict[str, float] = {}
    with arrowcid.SharedMemory(store, base_dir=base) as shm:
        lib = arrowcid._library.lib()
        for cid in cids:
            encoded = cid.encode()
            stream = _cdata.allocate_stream()

            def once() -> None:
                if lib.arrowcid_shm_attach(shm._handle, encoded, stream) != 0:
                    raise RuntimeError(lib.arrowcid_last_error().decode())
                stream.contents.release(stream)

            for _ in range(200):
                once()
            samples = []
            for _ in range(501):
                start = time.perf_counter_ns()
                once()
                samples.append(time.perf_counter_ns() - start)
            _cdata.free_stream(stream)
            result[cid] = statistics.median(samples) / 1000
    return result


def follow(base: str, store: str, cursor: int, count: int) -> None:
    with arrowcid.SharedMemory(store, base_dir=base) as shm:
        lib = arrowcid._library.lib()
        position = ctypes.c_uint64(cursor)
        cid = ctypes.create_string_buffer(128)
        print("ready", flush=True)
        lines = []
        for _ in range(count):
            code = lib.arrowcid_shm_next(shm._handle, ctypes.byref(position), 60000, cid, 128)
            woke = time.monotonic_ns()
            if code != 0:
                raise RuntimeError(lib.arrowcid_last_error().decode())
            lines.append(f"{position.value} {woke}")
        print("\n".join(lines), flush=True)


def main() -> None:
    mode = sys.argv[1]
    if mode == "cid-put":
        print(json.dumps(cid_put(sys.argv[2], int(sys.argv[3]))))
    elif mode == "attach":
        print(json.dumps(attach(sys.argv[2], sys.argv[3], sys.argv[4:])))
    elif mode == "follow":
        follow(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
