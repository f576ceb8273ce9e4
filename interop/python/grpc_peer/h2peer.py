"""HTTP/2 from Python without gRPC C-core: gRPC calls made by hand over hyper-h2 (python3-h2), and a
raw frame writer for the abuse tests (RFC 9113 framing written here, HPACK from python3-hpack).
"""
import errno
import select
import socket
import struct
import time

import h2.config
import h2.connection
import h2.events
import hpack

from grpc_peer import flight

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types and flags (RFC 9113 section 6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM = 0x1
END_HEADERS = 0x4

ERROR_CODES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 4: "SETTINGS_TIMEOUT",
               5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR",
               10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}

FRAME_NAMES = {DATA: "DATA", HEADERS: "HEADERS", PRIORITY: "PRIORITY", RST_STREAM: "RST_STREAM", SETTINGS: "SETTINGS",
               PUSH_PROMISE: "PUSH_PROMISE", PING: "PING", GOAWAY: "GOAWAY", WINDOW_UPDATE: "WINDOW_UPDATE",
               CONTINUATION: "CONTINUATION"}

MIB = 1024 * 1024


def describe(f):
    """A frame (type, flags, stream id, payload) in words; None is the end of the connection."""
    if f is None:
        return "nothing (connection closed)"
    kind, _, stream_id, payload = f
    if kind == GOAWAY:
        code = struct.unpack(">I", payload[4:8])[0]
        return f"GOAWAY {ERROR_CODES.get(code, code)} ({payload[8:].decode('utf-8', 'replace')})"
    if kind == RST_STREAM:
        code = struct.unpack(">I", payload)[0]
        return f"RST_STREAM {ERROR_CODES.get(code, code)} on stream {stream_id}"
    return f"{FRAME_NAMES.get(kind, kind)} on stream {stream_id}"


def parse_target(target):
    host, _, port = target.rpartition(":")
    return host, int(port)


def grpc_frame(message):
    """A gRPC length-prefixed message: compressed flag 0, big-endian uint32 length, the message."""
    return b"\x00" + struct.pack(">I", len(message)) + message


def grpc_messages(body):
    """The messages of a gRPC body; raises on a compressed flag or a truncated message."""
    messages = []
    position = 0
    while position < len(body):
        if len(body) - position < 5:
            raise ValueError("the body ends inside a gRPC message prefix")
        compressed, length = body[position], struct.unpack_from(">I", body, position + 1)[0]
        if compressed != 0:
            raise ValueError("a compressed gRPC message, though no grpc-encoding was agreed")
        position += 5
        if len(body) - position < length:
            raise ValueError("the body ends inside a gRPC message")
        messages.append(body[position:position + length])
        position += length
    return messages


def request_headers(authority, method, metadata=()):
    return [(":method", "POST"), (":scheme", "http"), (":path", flight.SERVICE + method), (":authority", authority),
            ("content-type", "application/grpc"), ("te", "trailers"), *metadata]


class GrpcResponse:
    """What one call received: response headers, gRPC messages, trailers and the status."""

    def __init__(self):
        self.headers = {}
        self.trailers = {}
        self.body = bytearray()
        self.ended = False
        self.reset_code = None
        self.data_frames = 0

    @property
    def status(self):
        # A trailers-only response carries grpc-status in its only header block.
        value = self.trailers.get("grpc-status", self.headers.get("grpc-status"))
        return None if value is None else int(value)

    @property
    def message(self):
        return self.trailers.get("grpc-message", self.headers.get("grpc-message", ""))

    @property
    def messages(self):
        return grpc_messages(bytes(self.body))


class H2GrpcClient:
    """gRPC over one hyper-h2 client connection with its default settings (64 KiB windows, 16 KiB frames)."""

    def __init__(self, target, timeout=30):
        self.host, self.port = parse_target(target)
        self.authority = target
        self.timeout = timeout
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.responses = {}
        self.window_updates_sent = 0
        self.terminated = None
        self._flush()

    def close(self):
        try:
            self.conn.close_connection()
            self._flush()
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def start(self, method, request, metadata=()):
        """Opens a stream and sends one request message with END_STREAM; returns the stream id."""
        stream_id = self.conn.get_next_available_stream_id()
        self.conn.send_headers(stream_id, request_headers(self.authority, method, metadata))
        body = grpc_frame(request)
        chunk = self.conn.max_outbound_frame_size
        for offset in range(0, len(body), chunk):
            self.conn.send_data(stream_id, body[offset:offset + chunk], end_stream=offset + chunk >= len(body))
        self.responses[stream_id] = GrpcResponse()
        self._flush()
        return stream_id

    def call(self, method, request, metadata=()):
        """A unary or server-streaming call: the whole response."""
        stream_id = self.start(method, request, metadata)
        return self.wait([stream_id])[0]

    def wait(self, stream_ids):
        """Reads until every stream in stream_ids has ended (or was reset)."""
        deadline = time.monotonic() + self.timeout
        while not all(self.responses[s].ended for s in stream_ids):
            if self.terminated is not None:
                raise ConnectionError(f"the server ended the connection: {self.terminated}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"streams {stream_ids} did not end within {self.timeout} s")
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("the server closed the connection")
            for event in self.conn.receive_data(data):
                self._on(event)
            self._flush()
        return [self.responses[s] for s in stream_ids]

    def _on(self, event):
        response = self.responses.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.ResponseReceived):
            response.headers = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            response.body += event.data
            response.data_frames += 1
            # Consumed at once: hyper-h2 sends WINDOW_UPDATE once enough is acknowledged.
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.TrailersReceived):
            response.trailers = dict(event.headers)
        elif isinstance(event, h2.events.StreamEnded):
            response.ended = True
        elif isinstance(event, h2.events.StreamReset):
            response.ended = True
            response.reset_code = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = f"GOAWAY {ERROR_CODES.get(event.error_code, event.error_code)}"

    def _flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)


def frame(frame_type, flags, stream_id, payload=b""):
    """One HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload."""
    return struct.pack(">I", len(payload))[1:] + bytes([frame_type, flags]) + struct.pack(">I", stream_id) + payload


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


class RawPeer:
    """A client socket that writes frames exactly as given and reads the server's frames back."""

    def __init__(self, target, preface=True, timeout=10):
        host, port = parse_target(target)
        self.authority = target
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buffer = bytearray()
        self.closed = False
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        if preface:
            self.send(PREFACE + settings())

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_until_blocked(self, pieces, limit_s):
        """Sends pieces without ever reading; stops when the socket would block for limit_s
        (the server stopped reading) or was closed. Returns how many pieces went out whole."""
        self.sock.setblocking(False)
        sent = 0
        try:
            for piece in pieces:
                view = memoryview(piece)
                while view:
                    try:
                        n = self.sock.send(view)
                        view = view[n:]
                    except BlockingIOError:
                        if not select.select([], [self.sock], [], limit_s)[1]:
                            return sent, "blocked"
                    except OSError as e:
                        if e.errno in (errno.EPIPE, errno.ECONNRESET):
                            return sent, "closed by the server"
                        raise
                sent += 1
            return sent, "all sent"
        finally:
            self.sock.setblocking(True)
            self.sock.settimeout(self.timeout)

    def header_block(self, method, metadata=(), huffman=True):
        return self.encoder.encode(request_headers(self.authority, method, metadata), huffman=huffman)

    def request(self, stream_id, method, message=None):
        """HEADERS (END_HEADERS), then DATA with the message and END_STREAM when given one."""
        block = self.header_block(method)
        if message is None:
            return frame(HEADERS, END_HEADERS, stream_id, block)
        return frame(HEADERS, END_HEADERS, stream_id, block) + frame(DATA, END_STREAM, stream_id, grpc_frame(message))

    def read_frame(self, timeout=None):
        """The next frame (type, flags, stream id, payload), or None once the server closed."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            if len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) >= 9 + length:
                    header = bytes(self.buffer[:9])
                    payload = bytes(self.buffer[9:9 + length])
                    del self.buffer[:9 + length]
                    return header[3], header[4], struct.unpack(">I", header[5:9])[0] & 0x7FFFFFFF, payload
            if self.closed:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from the server in time")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
            self.buffer += data

    def until(self, predicate, timeout=None):
        """Reads frames until predicate(frame) holds; returns that frame, or None if the server closed first."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            f = self.read_frame(max(0.0, deadline - time.monotonic()))
            if f is None or predicate(f):
                return f

    def grpc_status(self, stream_id, timeout=None):
        """Reads until stream_id ends; its grpc-status as text, or how the stream or connection ended instead."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        status = None
        while True:
            f = self.read_frame(max(0.0, deadline - time.monotonic()))
            if f is None:
                return "connection closed"
            kind, flags, sid, payload = f
            if kind == GOAWAY or (sid == stream_id and kind == RST_STREAM):
                return describe(f)
            if sid != stream_id:
                continue
            if kind == HEADERS:
                # Our server's HPACK encoder uses no dynamic table, so decoding only some blocks is safe.
                status = dict(self.decoder.decode(payload)).get("grpc-status", status)
            if flags & END_STREAM:
                return f"grpc-status {status}"

    def ending(self, timeout=None):
        """How the server ends this connection: 'GOAWAY <code> (<debug>)' or 'closed'. Skips other frames."""
        f = self.until(lambda f: f[0] == GOAWAY, timeout)
        return "closed without GOAWAY" if f is None else describe(f)


def goaway_code(outcome):
    """The error code name of the first "GOAWAY CODE" in an outcome line, or None."""
    _, found, rest = outcome.partition("GOAWAY ")
    return rest.split(" ")[0] if found else None


class Memory:
    """VmRSS and VmHWM (peak) of a process, from /proc/PID/status."""

    def __init__(self, pid):
        values = {}
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) * 1024
        self.rss = values["VmRSS"]
        self.peak = values["VmHWM"]

    def __str__(self):
        return f"RSS {self.rss / MIB:.1f} MiB (peak {self.peak / MIB:.1f} MiB)"
