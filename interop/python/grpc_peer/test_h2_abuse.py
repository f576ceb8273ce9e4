"""Raw-frame abuse of an ArrowCid node's HTTP/2 server from Python, on 127.0.0.1 only.

Each case abuses one connection (or many), then a well-formed gRPC call on a new connection must
succeed, the node must still run, and its memory (VmRSS, VmHWM from /proc/PID/status of the node,
a child process of the xunit driver) must stay within a generous bound. Each case prints one line
"ABUSE <case>: <what the server did>; RSS before -> after" for docs/flight.md. Loops are bounded
in count and time.
"""
import hashlib
import os
import socket
import struct
import threading
import time
import unittest

from grpc_peer import flight
from grpc_peer.h2peer import (CONTINUATION, DATA, END_HEADERS, END_STREAM, ERROR_CODES, FRAME_NAMES, GOAWAY, HEADERS,
                              MIB, PING, PREFACE, RST_STREAM, SETTINGS, WINDOW_UPDATE, H2GrpcClient, Memory, RawPeer,
                              describe, frame, goaway_code, grpc_frame, request_headers, settings)

# Growth of the node's RSS (and of its peak) one case may cause.
MEMORY_BOUND = 256 * MIB

CANCEL = 0x8  # RST_STREAM error code


class Drain:
    """Reads and counts the server's frames on a RawPeer in a thread, so a flood is not stalled by a
    full receive buffer on our side; records a GOAWAY and the end of the connection."""

    def __init__(self, peer):
        self.peer = peer
        self.counts = {}
        self.resets = {}
        self.goaway = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                f = self.peer.read_frame(timeout=30)
                if f is None:
                    return
                self.counts[f[0]] = self.counts.get(f[0], 0) + 1
                if f[0] == RST_STREAM:
                    code = ERROR_CODES.get(struct.unpack(">I", f[3])[0], "?")
                    self.resets[code] = self.resets.get(code, 0) + 1
                if f[0] == GOAWAY and self.goaway is None:
                    self.goaway = describe(f)
        except (OSError, TimeoutError):
            return

    def join(self, timeout):
        self.thread.join(timeout)


class HttpTwoAbuseTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.config = flight.load_config()
        cls.m = flight.Messages(cls.config["descriptor_set"])
        cls.target = cls.config["target"]
        cls.pid = int(cls.config["node_pid"])
        cls.start = Memory(cls.pid)
        print(f"\nABUSE start: {cls.start}", flush=True)

    def request(self):
        """A DoGet request message for the small batch."""
        return self.m.Ticket(ticket=self.config["small"]["cid"].encode()).SerializeToString()

    def small_descriptor(self):
        """A GetFlightInfo request message for the small batch."""
        return self.m.FlightDescriptor(type=self.m.FlightDescriptor.PATH, path=[self.config["small"]["cid"]]).SerializeToString()

    def assert_node_serves(self):
        """A well-formed call on a new connection: DoGet of the small batch, re-hashed."""
        with H2GrpcClient(self.target) as client:
            response = client.call("DoGet", self.request())
        self.assertEqual(0, response.status, f"grpc-status {response.status}: {response.message}")
        stream = flight.rebuild_ipc_stream([self.m.FlightData.FromString(m) for m in response.messages])
        self.assertEqual(flight.sha256_digest_of_cid(self.config["small"]["cid"]), hashlib.sha256(stream).digest())

    def abuse(self, case, action):
        """Runs action() (returns what the server did), then checks the node serves, lives and stayed bounded."""
        before = Memory(self.pid)
        started = time.monotonic()
        outcome = action()
        seconds = time.monotonic() - started
        self.assert_node_serves()
        os.kill(self.pid, 0)  # raises if the node died
        after = Memory(self.pid)
        print(f"ABUSE {case}: {outcome}; {seconds:.1f} s; RSS {before.rss / MIB:.1f} -> {after.rss / MIB:.1f} MiB, "
              f"peak {after.peak / MIB:.1f} MiB", flush=True)
        self.assertLess(after.rss - before.rss, MEMORY_BOUND, f"{case}: RSS grew from {before} to {after}")
        self.assertLess(after.peak - max(before.peak, before.rss), MEMORY_BOUND, f"{case}: peak grew from {before} to {after}")
        return outcome

    def test_continuation_flood_ends_in_goaway(self):
        def flood():
            with RawPeer(self.target) as peer:
                # A request's HEADERS without END_HEADERS, then 16 KiB CONTINUATIONs (up to 64 MiB).
                opening = frame(HEADERS, 0, 1, peer.header_block("DoGet"))
                piece = frame(CONTINUATION, 0, 1, b"\x00" * 16384)
                sent, how = peer.send_until_blocked([opening] + [piece] * 4096, limit_s=5)
                return f"{peer.ending()} after {sent - 1} CONTINUATION frames of 16 KiB ({how})"

        outcome = self.abuse("CONTINUATION flood (16 KiB frames)", flood)
        self.assertEqual("ENHANCE_YOUR_CALM", goaway_code(outcome), outcome)

    def test_empty_continuation_flood_is_read_and_bounded(self):
        def flood():
            with RawPeer(self.target) as peer:
                # 100,000 CONTINUATIONs that add nothing to the block, then the end of the block.
                opening = frame(HEADERS, 0, 1, peer.header_block("DoGet"))
                pieces = [opening] + [frame(CONTINUATION, 0, 1)] * 100_000
                pieces.append(frame(CONTINUATION, END_HEADERS, 1) + frame(DATA, END_STREAM, 1, grpc_frame(self.request())))
                sent, how = peer.send_until_blocked(pieces, limit_s=10)
                answer = peer.until(lambda f: f[0] in (GOAWAY, RST_STREAM) or (f[0] == HEADERS and f[2] == 1))
                return f"{sent - 1} frames sent ({how}); server answered {describe(answer)}"

        self.abuse("empty CONTINUATION flood (100,000 frames)", flood)

    def test_200k_pings_never_read(self):
        def flood():
            with RawPeer(self.target) as peer:
                ping = frame(PING, 0, 0, b"abusive!")
                sent, how = peer.send_until_blocked([ping] * 200_000, limit_s=3)
                # The server answers each PING; with nothing read here it must stop reading, not queue ACKs.
                self.assert_node_serves()
                return f"{sent} PINGs sent ({how}) with no ACK read"

        self.abuse("200,000 PINGs, socket never read", flood)

    def test_100k_settings_frames(self):
        def flood():
            with RawPeer(self.target) as peer:
                drain = Drain(peer)
                frames = [settings((0x3, 100 + i % 2), (0x4, 65535 + i % 2)) for i in range(100_000)]
                sent, how = peer.send_until_blocked(frames, limit_s=10)
                peer.send(frame(PING, 0, 0, b"last one"))
                deadline = time.monotonic() + 20
                while drain.counts.get(PING, 0) < 1 and drain.goaway is None and drain.thread.is_alive() and time.monotonic() < deadline:
                    time.sleep(0.05)
                acks = drain.counts.get(SETTINGS, 0)
                return f"{sent} SETTINGS sent ({how}); {acks} SETTINGS frames back; {drain.goaway or 'no GOAWAY'}"

        self.abuse("100,000 SETTINGS frames", flood)

    def test_500_kib_header_list_of_literals(self):
        def attack():
            with RawPeer(self.target) as peer:
                block = peer.header_block("DoGet", [(f"x-pad-{i}", "v" * 10_240) for i in range(50)], huffman=False)
                pieces = [block[i:i + 16384] for i in range(0, len(block), 16384)]
                frames = [frame(HEADERS if i == 0 else CONTINUATION, END_HEADERS if i == len(pieces) - 1 else 0, 1, p)
                          for i, p in enumerate(pieces)]
                sent, how = peer.send_until_blocked(frames, limit_s=5)
                return f"{len(block) // 1024} KiB block in {len(frames)} frames, {sent} sent ({how}): {peer.ending()}"

        outcome = self.abuse("500 KiB header list (literal fields)", attack)
        self.assertEqual("ENHANCE_YOUR_CALM", goaway_code(outcome), outcome)

    def test_500_kib_header_list_from_a_small_block(self):
        def attack():
            with RawPeer(self.target) as peer:
                # One 4,000-octet field into the HPACK dynamic table, then 128 one-octet references to
                # it: a block of about 4 KiB that decodes to about 500 KiB.
                encoder = peer.encoder
                block = encoder.encode(request_headers(self.target, "DoGet"))
                block += encoder.encode([("x-big", "b" * 4000)])
                indexed = bytes([0x80 | 62])  # the newest dynamic table entry
                block += indexed * 127
                peer.send(frame(HEADERS, END_HEADERS, 1, block))
                answer = peer.until(lambda f: f[0] in (GOAWAY, RST_STREAM) or (f[0] == HEADERS and f[2] == 1))
                # Still in step: the next request's block refers to the same dynamic table.
                peer.send(peer.request(3, "GetFlightInfo", self.small_descriptor()))
                return (f"{len(block)} octet block: server answered {describe(answer)}; "
                        f"a call on the same connection then ended with {peer.grpc_status(3)}")

        outcome = self.abuse("500 KiB header list (HPACK references)", attack)
        self.assertIn("RST_STREAM ENHANCE_YOUR_CALM on stream 1", outcome)
        self.assertTrue(outcome.endswith("grpc-status 0"), outcome)

    def test_20k_headers_and_rst_stream_pairs(self):
        def rapid_reset():
            with RawPeer(self.target) as peer:
                drain = Drain(peer)
                pairs = [peer.request(2 * i + 1, "DoGet") + frame(RST_STREAM, 0, 2 * i + 1, struct.pack(">I", CANCEL))
                         for i in range(20_000)]
                sent, how = peer.send_until_blocked(pairs, limit_s=10)
                peer.send(frame(PING, 0, 0, b"last one"))
                deadline = time.monotonic() + 20
                while drain.counts.get(PING, 0) < 1 and drain.goaway is None and drain.thread.is_alive() and time.monotonic() < deadline:
                    time.sleep(0.05)
                counts = ", ".join(f"{FRAME_NAMES.get(k, k)} {v}" for k, v in sorted(drain.counts.items()))
                resets = ", ".join(f"{k} {v}" for k, v in sorted(drain.resets.items()))
                return f"{sent} pairs sent ({how}); back: {counts} (RST_STREAM: {resets}); {drain.goaway or 'no GOAWAY'}"

        self.abuse("20,000 HEADERS+RST_STREAM pairs", rapid_reset)

    def test_window_update_of_zero_on_a_stream_resets_it(self):
        def attack():
            with RawPeer(self.target) as peer:
                # A DoGet of the large batch stalls on this peer's 64 KiB window: the stream stays open.
                large = self.m.Ticket(ticket=self.config["large"]["cid"].encode()).SerializeToString()
                peer.send(frame(HEADERS, END_HEADERS, 1, peer.header_block("DoGet"))
                          + frame(DATA, END_STREAM, 1, grpc_frame(large)))
                peer.until(lambda f: f[0] == DATA and f[2] == 1)
                peer.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0)))
                reset = peer.until(lambda f: f[0] in (RST_STREAM, GOAWAY) and f[2] in (0, 1))
                # The connection itself is still good: a call on stream 3 succeeds (given back the
                # connection window the stalled stream used).
                peer.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MIB)) + peer.request(3, "GetFlightInfo", self.small_descriptor()))
                return f"stream answered {describe(reset)}; a call on the same connection then ended with {peer.grpc_status(3)}"

        outcome = self.abuse("WINDOW_UPDATE of 0 on a stream", attack)
        self.assertIn("RST_STREAM PROTOCOL_ERROR on stream 1", outcome)
        self.assertTrue(outcome.endswith("grpc-status 0"), outcome)

    def test_window_update_of_zero_on_the_connection_is_a_protocol_error(self):
        def attack():
            with RawPeer(self.target) as peer:
                peer.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0)))
                return peer.ending()

        outcome = self.abuse("WINDOW_UPDATE of 0 on the connection", attack)
        self.assertEqual("PROTOCOL_ERROR", goaway_code(outcome), outcome)

    def test_200_half_open_connections(self):
        def half_open():
            sockets = []
            try:
                host, port = self.target.rsplit(":", 1)
                for i in range(200):
                    s = socket.create_connection((host, int(port)), timeout=10)
                    # Nothing; half a preface; a preface and SETTINGS and half a HEADERS frame.
                    s.sendall([b"", PREFACE[:12], PREFACE + settings() + frame(HEADERS, 0, 1, b"\x82\x86")[:7]][i % 3])
                    sockets.append(s)
                during = Memory(self.pid)
                self.assert_node_serves()
                return f"200 connections held open; a call meanwhile succeeded; {during} while open"
            finally:
                for s in sockets:
                    s.close()

        self.abuse("200 half-open connections", half_open)

    @classmethod
    def tearDownClass(cls):
        end = Memory(cls.pid)
        print(f"ABUSE end: {end} (start {cls.start})", flush=True)


if __name__ == "__main__":
    unittest.main()
