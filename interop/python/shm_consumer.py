"""Read an ArrowCid shared-memory segment with pyarrow, zero copy, and check it against its CID.

A segment is a plain canonical Arrow IPC stream, so any Arrow library can map it. Usage:

    python shm_consumer.py CID [--shm-dir /dev/shm/arrowcid-UID] [--store default]
    python shm_consumer.py --path /dev/shm/arrowcid-UID/default/segments/<cid>.arrows CID
    python shm_consumer.py --path "$(arrowcid shm path CID)" CID

Small batches live in slots of the store's arena file rather than in a file of their own;
`arrowcid shm path CID` promotes such a batch to segments/<cid>.arrows (copied once, verified)
and prints that path, which the third form uses.

The CID (CIDv1, raw codec 0x55, sha2-256 multihash, base32 lower-case "b…") is decoded here
with the standard library; the SHA-256 of the mapped bytes must equal its digest.
"""
import argparse
import base64
import hashlib
import os
import sys

import pyarrow as pa
import pyarrow.ipc as ipc


def sha256_digest_of_cid(cid: str) -> bytes:
    """The 32-byte digest named by a 'bafkrei…' CID; raises ValueError for anything else."""
    if not cid.startswith("b"):
        raise ValueError("expected a base32 CIDv1 (multibase prefix 'b')")
    text = cid[1:].upper()
    raw = base64.b32decode(text + "=" * (-len(text) % 8))
    # version 1, codec raw (0x55), multihash sha2-256 (0x12) of 32 bytes (0x20): all one-byte varints.
    if len(raw) != 36 or raw[0] != 0x01 or raw[1] != 0x55 or raw[2] != 0x12 or raw[3] != 0x20:
        raise ValueError("not a CIDv1 raw sha2-256 CID")
    return raw[4:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cid")
    parser.add_argument("--shm-dir", default=os.environ.get("ARROWCID_SHM_DIR", f"/dev/shm/arrowcid-{os.geteuid()}"))
    parser.add_argument("--store", default="default")
    parser.add_argument("--path", help="the segment file (default: <shm-dir>/<store>/segments/<cid>.arrows)")
    args = parser.parse_args()
    path = args.path or os.path.join(args.shm_dir, args.store, "segments", args.cid + ".arrows")

    expected = sha256_digest_of_cid(args.cid)
    with pa.memory_map(path, "r") as source:
        buffer = source.read_buffer()  # a view of the mapping, not a copy
        if hashlib.sha256(memoryview(buffer)).digest() != expected:
            print(f"{path}: bytes do not hash to {args.cid}: refused", file=sys.stderr)
            return 1
        table = ipc.open_stream(buffer).read_all()
    print(f"{args.cid}: {table.num_rows} rows, verified")
    print(table.schema)
    print(table.slice(0, 5).to_pandas() if hasattr(table, "to_pandas") and table.num_rows else table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
