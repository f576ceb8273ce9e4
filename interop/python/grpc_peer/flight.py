"""What a Flight client needs, written with nothing but Debian's python3-protobuf and the standard
library: the Flight message classes (from a FileDescriptorSet of proto/Flight.proto), the Arrow IPC
stream framing (split a stream into messages, rebuild one from FlightData) and CIDs.

Debian's grpc_tools bundles a protoc too old for proto3 `optional` (Flight.proto has one), so the
classes are built at run time from a serialized FileDescriptorSet: the driving xunit test writes it
(google/protobuf/timestamp.proto, then Flight.proto) and names it in the peer configuration.
"""
import base64
import hashlib
import json
import os
import struct

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

SERVICE = "/arrow.flight.protocol.FlightService/"

# IPC stream framing (Arrow columnar format, "Encapsulated message format").
CONTINUATION = b"\xff\xff\xff\xff"
END_OF_STREAM = CONTINUATION + b"\x00\x00\x00\x00"

# CIDv1 prefix of a raw (0x55) block named by a sha2-256 (0x12, 32 octets) multihash.
RAW_SHA256_CID_PREFIX = bytes([0x01, 0x55, 0x12, 0x20])


def load_config():
    """The peer configuration the xunit driver wrote (JSON named by ARROWCID_PY_PEER)."""
    path = os.environ.get("ARROWCID_PY_PEER")
    if not path:
        raise RuntimeError("ARROWCID_PY_PEER is not set: run these tests through their xunit driver "
                           "(tests/ArrowCid.Flight.Tests/PythonPeers) or write the JSON it writes")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Messages:
    """The Flight message classes, by their proto names (Messages(path).FlightData, ...)."""

    def __init__(self, descriptor_set_path):
        with open(descriptor_set_path, "rb") as f:
            files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
        pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            pool.Add(file)
        for name in ("HandshakeRequest", "HandshakeResponse", "BasicAuth", "Empty", "ActionType", "Criteria",
                     "Action", "Result", "SchemaResult", "FlightDescriptor", "FlightInfo", "Ticket", "Location",
                     "FlightEndpoint", "FlightData", "PutResult"):
            descriptor = pool.FindMessageTypeByName("arrow.flight.protocol." + name)
            setattr(self, name, _message_class(descriptor))


def _message_class(descriptor):
    # protobuf >= 4.22 has GetMessageClass; Debian bookworm's 4.21 has only MessageFactory.
    get = getattr(message_factory, "GetMessageClass", None)
    return get(descriptor) if get else message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


def sha256_digest_of_cid(cid):
    """The 32-octet digest a 'bafkrei...' CID names (base32 lower-case, multibase prefix 'b')."""
    if not cid.startswith("b"):
        raise ValueError(f"{cid!r} is not base32 multibase")
    text = cid[1:].upper()
    binary = base64.b32decode(text + "=" * (-len(text) % 8))
    if binary[:4] != RAW_SHA256_CID_PREFIX or len(binary) != 36:
        raise ValueError(f"{cid!r} is not a CIDv1 raw sha2-256")
    return binary[4:]


def cid_of_raw_block(data):
    """The CIDv1 (raw, sha2-256) of a block, as text."""
    binary = RAW_SHA256_CID_PREFIX + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(binary).decode("ascii").lower().rstrip("=")


def _message_field(header, index, fmt):
    """Field `index` of a flatbuffer Message table read with struct format `fmt`; None when absent."""
    table = struct.unpack_from("<I", header, 0)[0]
    vtable = table - struct.unpack_from("<i", header, table)[0]
    vtable_size = struct.unpack_from("<H", header, vtable)[0]
    slot = 4 + 2 * index
    if slot + 2 > vtable_size:
        return None
    offset = struct.unpack_from("<H", header, vtable + slot)[0]
    return struct.unpack_from(fmt, header, table + offset)[0] if offset else None


def _message_body_length(header):
    """bodyLength (field 3, int64) of a flatbuffer Message table; 0 when absent."""
    return _message_field(header, 3, "<q") or 0


RECORD_BATCH = 3


def _message_header_type(header):
    """header_type (field 1, ubyte) of a Message: 1 Schema, 2 DictionaryBatch, 3 RecordBatch."""
    return _message_field(header, 1, "<B") or 0


def _framed(header, body=b""):
    return CONTINUATION + struct.pack("<i", len(header)) + header + body


def chunk_blocks(flight_data):
    """The canonical block of every chunk a table's DoGet carries, in order.

    The schema message comes once, first; then each chunk's dictionary messages and record batch.
    A chunk's block is the schema message, its messages and the end-of-stream marker, so its SHA-256
    is the digest of the chunk's CID.
    """
    messages = [(d.data_header, d.data_body) for d in flight_data if d.data_header]
    if not messages or _message_header_type(messages[0][0]) != 1:
        raise ValueError("the stream does not start with a schema message")
    schema = _framed(messages[0][0], messages[0][1])
    blocks, current = [], []
    for header, body in messages[1:]:
        current.append(_framed(header, body))
        if _message_header_type(header) == RECORD_BATCH:
            blocks.append(schema + b"".join(current) + END_OF_STREAM)
            current = []
    if current:
        raise ValueError("the stream ends inside a chunk (dictionaries without their record batch)")
    return blocks


def split_ipc_stream(data):
    """The (header, body) pairs of an Arrow IPC stream, up to its end-of-stream marker."""
    messages = []
    position = 0
    while position < len(data):
        if data[position:position + 4] != CONTINUATION:
            raise ValueError(f"no continuation marker at offset {position}")
        (length,) = struct.unpack_from("<i", data, position + 4)
        position += 8
        if length == 0:
            return messages
        header = data[position:position + length]
        position += length
        body_length = _message_body_length(header)
        body = data[position:position + body_length]
        if len(body) != body_length:
            raise ValueError("the stream ends inside a message body")
        position += body_length
        messages.append((header, body))
    raise ValueError("the stream has no end-of-stream marker")


def verify_do_get(flight_data, entry):
    """Checks a DoGet of one of the driver's entries and returns the octets rebuilt.

    A batch ({"cid"}) rebuilt as one IPC stream must hash to its CID; a table of several chunks
    ({"cid", "chunks"}) must arrive as those chunks, each rebuilt block hashing to its chunk CID.
    """
    if "chunks" in entry:
        blocks = chunk_blocks(flight_data)
        received = [cid_of_raw_block(b) for b in blocks]
        if received != entry["chunks"]:
            raise AssertionError(f"DoGet {entry['cid']}: {len(received)} chunks received do not hash to the {len(entry['chunks'])} chunk CIDs")
        return sum(len(b) for b in blocks)
    stream = rebuild_ipc_stream(flight_data)
    if hashlib.sha256(stream).digest() != sha256_digest_of_cid(entry["cid"]):
        raise AssertionError(f"DoGet {entry['cid']}: the rebuilt stream ({len(stream)} octets) does not hash to the CID")
    return len(stream)


def rebuild_ipc_stream(flight_data):
    """An IPC stream from FlightData: 0xFFFFFFFF, int32 length, header, body per message, then EOS."""
    parts = []
    for data in flight_data:
        parts += [CONTINUATION, struct.pack("<i", len(data.data_header)), data.data_header, data.data_body]
    parts.append(END_OF_STREAM)
    return b"".join(parts)


def flight_data_of_stream(messages_cls, stream_bytes, descriptor):
    """FlightData for each message of an IPC stream; the first carries the descriptor (DoPut, DoExchange)."""
    result = []
    for i, (header, body) in enumerate(split_ipc_stream(stream_bytes)):
        data = messages_cls.FlightData(data_header=header, data_body=body)
        if i == 0:
            data.flight_descriptor.CopyFrom(descriptor)
        result.append(data)
    return result
