#!/usr/bin/env python3
"""A pyarrow.flight client of an ArrowCid node (`arrowcid serve`): list, get by CID with the
reassembled stream re-hashed against the CID, and put.

    python3 interop/python/flight_client.py --server grpc+tcp://127.0.0.1:8815 list
    python3 interop/python/flight_client.py --server grpc+tcp://127.0.0.1:8815 put
    python3 interop/python/flight_client.py --server grpc+tcp://127.0.0.1:8815 get CID
    (add --token TOKEN for a node started with --token TOKEN:read|write)

Verification needs no ArrowCid code: a batch CID is CIDv1, codec raw (0x55), sha2-256, base32
lower-case with the 'b' prefix. The FlightData of a batch, written back as an IPC stream
(0xFFFFFFFF, int32 header length, header, body) plus the end-of-stream marker, are exactly the
bytes the CID names. pyarrow decodes FlightData and keeps no raw messages, so this client takes
the exact bytes from the node's "block" action, hashes them, and checks that DoGet's table is what
those verified bytes decode to.
"""
import argparse
import base64
import hashlib
import json
import sys

import pyarrow as pa
import pyarrow.flight as flight


def cid_of_raw(data: bytes) -> str:
    """CIDv1 raw sha2-256 in base32 lower-case ("bafkrei...")."""
    digest = hashlib.sha256(data).digest()
    binary = bytes([0x01, 0x55, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(binary).decode("ascii").lower().rstrip("=")


def options(token):
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    return flight.FlightCallOptions(headers=headers)


def fetch_block(client, token, cid) -> bytes:
    """The stored bytes of a CID through the "block" action (pieces of at most 1 MiB, in order)."""
    results = client.do_action(flight.Action("block", cid.encode()), options=options(token))
    return b"".join(r.body.to_pybytes() for r in results)


def cmd_list(client, token, filter_json):
    criteria = (filter_json or "").encode()
    for info in client.list_flights(criteria, options=options(token)):
        ticket = info.endpoints[0].ticket.ticket.decode()
        locations = [str(loc) for e in info.endpoints for loc in e.locations]
        print(f"{ticket}  {info.total_records} rows  {info.total_bytes} bytes  {' '.join(locations)}")


def cmd_get(client, token, cid):
    table = client.do_get(flight.Ticket(cid.encode()), options=options(token)).read_all()
    if cid.startswith("bafkrei"):
        # pyarrow decodes FlightData and does not expose the raw messages, so the exact bytes come
        # from the "block" action; DoGet's table must then equal what those bytes decode to.
        data = fetch_block(client, token, cid)
        actual = cid_of_raw(data)
        if actual != cid:
            sys.exit(f"HASH MISMATCH: {cid} came back as {actual}")
        verified = pa.ipc.open_stream(data).read_all()
        if not verified.equals(table):
            sys.exit(f"DoGet of {cid} differs from its verified bytes")
        print(f"{cid}: {table.num_rows} rows, {len(data)} bytes; sha-256 matches the CID and DoGet returned the same table")
    else:
        print(f"{cid} (dataset): {table.num_rows} rows in {len(table.to_batches())} batches")
    print(table.slice(0, 5))


def cmd_put(client, token, tags):
    table = pa.table({"id": pa.array(range(10), pa.int64()), "name": [f"python-{i}" for i in range(10)]})
    descriptor = flight.FlightDescriptor.for_command(json.dumps({"tags": tags}).encode())
    writer, metadata_reader = client.do_put(descriptor, table.schema, options=options(token))
    writer.write_table(table)
    writer.done_writing()
    while True:
        try:
            result = metadata_reader.read()
        except StopIteration:
            break
        if result is None:
            break
        print(result.to_pybytes().decode())
    writer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="grpc+tcp://HOST:PORT (or grpc+tls://)")
    parser.add_argument("--token", help="bearer token")
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list")
    ls.add_argument("--filter", help='JSON filter, e.g. {"kind":"table"}')
    get = sub.add_parser("get")
    get.add_argument("cid")
    put = sub.add_parser("put")
    put.add_argument("--tag", action="append", default=[], help="KEY=VALUE")
    args = parser.parse_args()

    client = flight.FlightClient(args.server)
    if args.command == "list":
        cmd_list(client, args.token, args.filter)
    elif args.command == "get":
        cmd_get(client, args.token, args.cid)
    else:
        cmd_put(client, args.token, dict(t.split("=", 1) for t in args.tag))


if __name__ == "__main__":
    main()
