"""gRPC C-core (python3-grpcio, the transport of pyarrow.flight) against an ArrowCid node.

The node runs with --token/--user (and a second one with a self-signed TLS certificate); the driver
put a small batch (a one-chunk table, named by its chunk's raw CID) and a 64 MiB table (many
chunks of at most 1 MiB under a manifest tree) there, listed the 64 MiB table's chunk CIDs, and
wrote canonical IPC streams for the puts here. Every DoGet is rebuilt and re-hashed: a batch's
stream against its CID, a table's chunks against the chunk CIDs.
"""
import base64
import concurrent.futures
import hashlib
import json
import threading
import unittest

import grpc

from grpc_peer import flight
from grpc_peer.grpcio_flight import CALL_TIMEOUT_S, UNLIMITED_RECEIVE, FlightClient

MIB = 1024 * 1024


class FlightPeerTestCase(unittest.TestCase):
    """Loads the driver's configuration and the message classes once; one channel per class."""

    @classmethod
    def setUpClass(cls):
        cls.config = flight.load_config()
        cls.m = flight.Messages(cls.config["descriptor_set"])
        cls.channel = grpc.insecure_channel(cls.config["target"], options=UNLIMITED_RECEIVE)
        cls.client = FlightClient(cls.channel, cls.m, cls.config["token"])

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()

    def stream(self, name):
        """The bytes and row count of one of the driver's canonical IPC streams."""
        entry = self.config["streams"][name]
        with open(entry["path"], "rb") as f:
            return f.read(), entry["rows"]

    def assert_put_of_canonical_stream(self, results, data, rows):
        """PutResults of a small canonical stream: the batch's {"rows","chunks":[]} (its chunk still
        open), then the final one completing the chunk {"cid","rows","bytes"}, named by the stream's
        own hash, and naming the table: a one-chunk table is its chunk's raw CID."""
        self.assertEqual(2, len(results), results)
        batch, final = results
        self.assertEqual({"rows": rows, "chunks": []}, batch)
        cid = flight.cid_of_raw_block(data)
        self.assertEqual([{"cid": cid, "rows": rows, "bytes": len(data)}], final["chunks"])
        self.assertEqual(cid, final["dataset"])
        self.assertEqual(rows, final["rows"])
        return cid, final["dataset"]

    def assert_chunks_of_large_table(self, flight_data, chunk_cids):
        """Every message under 1.1 MiB; the chunks rebuilt from the stream hash to `chunk_cids` in order."""
        self.assertLess(max(len(d.data_header) + len(d.data_body) for d in flight_data), 1.1 * MIB)
        blocks = flight.chunk_blocks(flight_data)
        self.assertEqual(len(chunk_cids), len(blocks))
        for cid, block in zip(chunk_cids, blocks):
            self.assertEqual(flight.sha256_digest_of_cid(cid), hashlib.sha256(block).digest(), cid)
        return blocks


class GrpcCoreFlightTests(FlightPeerTestCase):

    def test_handshake_exchanges_basic_credentials_for_a_bearer_token_used_by_later_calls(self):
        c = self.config
        basic = base64.b64encode(f"{c['user']}:{c['password']}".encode()).decode()
        call = self.client.handshake_call(iter([self.m.HandshakeRequest()]),
                                          metadata=(("authorization", "Basic " + basic),), timeout=CALL_TIMEOUT_S)
        responses = list(call)
        bearer = dict(call.initial_metadata()).get("authorization", "")
        self.assertTrue(bearer.startswith("Bearer "), call.initial_metadata())
        token = bearer[len("Bearer "):]
        self.assertEqual([token.encode()], [r.payload for r in responses])
        self.assertIn("block", FlightClient(self.channel, self.m).list_actions(token))

        with self.assertRaises(grpc.RpcError) as anonymous:
            FlightClient(self.channel, self.m).list_actions()
        self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, anonymous.exception.code())
        with self.assertRaises(grpc.RpcError) as wrong:
            call = self.client.handshake_call(iter([self.m.HandshakeRequest()]), timeout=CALL_TIMEOUT_S,
                                              metadata=(("authorization", "Basic " + base64.b64encode(b"py:wrong").decode()),))
            list(call)
        self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, wrong.exception.code())

    def test_a_read_token_may_not_put(self):
        data, _ = self.stream("cmd")
        reader = FlightClient(self.channel, self.m, self.config["read_token"])
        with self.assertRaises(grpc.RpcError) as denied:
            reader.do_put(data, reader.cmd({"tags": {"peer": "denied"}}))
        self.assertEqual(grpc.StatusCode.PERMISSION_DENIED, denied.exception.code())

    def test_list_flights_lists_the_tables_put_with_tickets_that_name_their_cids(self):
        # A large table's endpoints carry CID?chunks=FIRST-END; the CID comes first in every ticket.
        def cid_of(info):
            return info.endpoint[0].ticket.ticket.decode().split("?")[0]
        tickets = {cid_of(info): info for info in self.client.list_flights()}
        small, large = self.config["small"], self.config["large"]
        self.assertEqual(small["rows"], tickets[small["cid"]].total_records)
        self.assertEqual(large["bytes"], tickets[large["cid"]].total_bytes)
        tagged = self.client.list_flights(json.dumps({"tags": {"size": "large"}, "kind": "dataset"}).encode())
        self.assertEqual([large["cid"]], [cid_of(i) for i in tagged])

    def test_get_flight_info_and_get_schema_describe_a_batch_by_cid(self):
        small = self.config["small"]
        info = self.client.get_flight_info(self.client.path(small["cid"]))
        self.assertEqual(small["rows"], info.total_records)
        self.assertEqual(small["cid"], info.endpoint[0].ticket.ticket.decode())
        self.assertTrue(info.ordered)
        # FlightInfo.schema is the block's first message, encapsulated; GetSchema answers the same.
        block = self.client.do_get_verified(small["cid"])
        header, _ = flight.split_ipc_stream(block)[0]
        self.assertEqual(flight.CONTINUATION + len(header).to_bytes(4, "little") + header, info.schema)
        self.assertEqual(info.schema, self.client.get_schema(self.client.cmd({"cid": small["cid"]})).schema)
        with self.assertRaises(grpc.RpcError) as unknown:
            self.client.get_flight_info(self.client.path(flight.cid_of_raw_block(b"not stored")))
        self.assertEqual(grpc.StatusCode.NOT_FOUND, unknown.exception.code())

    def test_do_get_of_a_small_batch_rehashes_to_its_cid(self):
        stream = self.client.do_get_verified(self.config["small"]["cid"])
        self.assertGreater(len(stream), 0)

    def test_default_4_mib_client_gets_a_64_mib_table_chunk_by_chunk_each_rehashing_to_its_cid(self):
        # grpcio's default receive limit is 4 MiB: the table arrives as chunks of at most 1 MiB.
        large = self.config["large"]
        with grpc.insecure_channel(self.config["target"]) as default_channel:
            client = FlightClient(default_channel, self.m, self.config["token"])
            data = client.do_get(large["cid"])
        blocks = self.assert_chunks_of_large_table(data, large["chunks"])
        self.assertGreater(len(blocks), 64)
        print(f"\ndefault grpcio client, 64 MiB table: {len(data)} FlightData, {len(blocks)} chunks, "
              f"largest message {max(len(d.data_header) + len(d.data_body) for d in data)} octets")

    def test_default_4_mib_client_gets_every_endpoint_of_the_64_mib_table_and_they_make_up_the_table(self):
        large = self.config["large"]
        with grpc.insecure_channel(self.config["target"]) as default_channel:
            client = FlightClient(default_channel, self.m, self.config["token"])
            info = client.get_flight_info(client.path(large["cid"]))
            self.assertTrue(info.ordered)
            self.assertEqual(large["bytes"], info.total_bytes)
            received = []
            for endpoint in info.endpoint:
                self.assertTrue(endpoint.ticket.ticket.decode().startswith(large["cid"]))
                data = client.do_get_call(endpoint.ticket, metadata=client.metadata(), timeout=CALL_TIMEOUT_S)
                received += flight.chunk_blocks(list(data))
        self.assertEqual(len(large["chunks"]), len(received))
        for cid, block in zip(large["chunks"], received):
            self.assertEqual(flight.sha256_digest_of_cid(cid), hashlib.sha256(block).digest(), cid)

    def test_do_put_with_a_cmd_descriptor_stores_the_stream_under_its_cid(self):
        data, rows = self.stream("cmd")
        results = self.client.do_put(data, self.client.cmd({"tags": {"peer": "grpcio-cmd"}, "producer": "grpcio"}))
        cid, _ = self.assert_put_of_canonical_stream(results, data, rows)
        self.assertEqual(data, self.client.do_get_verified(cid))
        listed = self.client.list_flights(json.dumps({"tags": {"peer": "grpcio-cmd"}, "kind": "batch"}).encode())
        self.assertEqual([cid], [i.endpoint[0].ticket.ticket.decode() for i in listed])

    def test_do_put_with_a_key_value_path_descriptor_tags_the_stream(self):
        data, rows = self.stream("path_tag")
        results = self.client.do_put(data, self.client.path("peer=grpcio-path"))
        cid, _ = self.assert_put_of_canonical_stream(results, data, rows)
        info = self.client.get_flight_info(self.client.cmd({"tags": {"peer": "grpcio-path"}, "kind": "batch"}))
        self.assertEqual([cid], [e.ticket.ticket.decode() for e in info.endpoint])
        self.assertEqual(data, self.client.do_get_verified(cid))

    def test_do_exchange_subscribe_announces_a_put_made_by_another_call(self):
        stop = threading.Event()

        def requests():
            yield self.m.FlightData(flight_descriptor=self.client.cmd(b"subscribe"))
            stop.wait(CALL_TIMEOUT_S)  # the request side stays open while the subscription runs

        call = self.client.do_exchange_call(requests(), metadata=self.client.metadata(), timeout=CALL_TIMEOUT_S)
        try:
            first = json.loads(next(call).app_metadata)
            self.assertTrue(first["subscribed"], first)
            data, _ = self.stream("subscribe")
            cid, _ = self.assert_put_of_canonical_stream(
                self.client.do_put(data, self.client.cmd({"tags": {"peer": "grpcio-subscribe"}})), data, self.stream("subscribe")[1])
            for change in call:
                announced = json.loads(change.app_metadata)
                if announced.get("cid") == cid:
                    break
            else:
                self.fail("the subscription ended without announcing the put")
            self.assertGreater(announced["sequence"], first["sequence"])
            self.assertEqual("batch", announced["kind"])
        finally:
            call.cancel()
            stop.set()

    def test_eight_concurrent_calls_share_one_channel(self):
        small = self.config["small"]
        start = threading.Barrier(8)

        def one(i):
            start.wait(CALL_TIMEOUT_S)
            if i % 2:
                return len(self.client.do_get_verified(small["cid"]))
            return self.client.get_flight_info(self.client.path(small["cid"])).total_records

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(8)))
        self.assertEqual([small["rows"]] * 4, answers[0::2])
        self.assertEqual(1, len(set(answers[1::2])))

    def test_a_cancelled_call_leaves_the_channel_good_for_the_next(self):
        call = self.client.do_get_call(self.m.Ticket(ticket=self.config["large"]["cid"].encode()),
                                       metadata=self.client.metadata(), timeout=CALL_TIMEOUT_S)
        schema = next(call)  # the schema message; the 64 MiB table's chunks are on their way
        self.assertGreater(len(schema.data_header), 0)
        call.cancel()
        with self.assertRaises(grpc.RpcError) as cancelled:
            for _ in call:
                pass
        self.assertEqual(grpc.StatusCode.CANCELLED, cancelled.exception.code())
        self.client.do_get_verified(self.config["small"]["cid"])
        self.assertIn("block", self.client.list_actions())

    def test_tls_with_a_self_signed_certificate(self):
        c = self.config
        with open(c["tls_root"], "rb") as f:
            root = f.read()
        with grpc.secure_channel(c["tls_target"], grpc.ssl_channel_credentials(root_certificates=root)) as channel:
            client = FlightClient(channel, self.m)
            data, rows = self.stream("tls")
            cid, _ = self.assert_put_of_canonical_stream(client.do_put(data, client.cmd({"tags": {"peer": "tls"}})), data, rows)
            self.assertEqual(data, client.do_get_verified(cid))
        # The same node through a channel that does not trust the certificate is refused.
        with grpc.secure_channel(c["tls_target"], grpc.ssl_channel_credentials()) as untrusting:
            with self.assertRaises(grpc.RpcError) as refused:
                FlightClient(untrusting, self.m).list_actions()
            self.assertEqual(grpc.StatusCode.UNAVAILABLE, refused.exception.code())


# grpc.health.v1 (grpc/grpc doc/health-checking.md), encoded by hand: HealthCheckRequest is
# {string service = 1}, HealthCheckResponse {ServingStatus status = 1} with SERVING = 1,
# SERVICE_UNKNOWN = 3; a status of 0 (UNKNOWN) is the empty message.
SERVING = 1
SERVICE_UNKNOWN = 3


def health_request(service: str) -> bytes:
    name = service.encode()
    assert len(name) < 128, "one-byte length prefix"
    return b"" if not name else b"\x0a" + bytes([len(name)]) + name


def health_status(response: bytes) -> int:
    if not response:
        return 0
    assert response[0] == 0x08 and len(response) == 2, response
    return response[1]


class GrpcCoreHealthTests(FlightPeerTestCase):
    """The gRPC Health Checking Protocol on the Flight port, as gRPC C-core's health clients call it
    (no token: the node enforces tokens on Flight calls, not on its health)."""

    def identity(self, data: bytes) -> bytes:
        return data

    def test_check_reports_serving_for_the_server_and_the_flight_service_and_not_found_for_another(self):
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check",
                                         request_serializer=self.identity, response_deserializer=self.identity)
        for service in ("", "arrow.flight.protocol.FlightService"):
            self.assertEqual(SERVING, health_status(check(health_request(service), timeout=CALL_TIMEOUT_S)), service)
        with self.assertRaises(grpc.RpcError) as unknown:
            check(health_request("no.such.Service"), timeout=CALL_TIMEOUT_S)
        self.assertEqual(grpc.StatusCode.NOT_FOUND, unknown.exception.code())

    def test_watch_streams_the_status_and_stays_open(self):
        watch = self.channel.unary_stream("/grpc.health.v1.Health/Watch",
                                          request_serializer=self.identity, response_deserializer=self.identity)
        for service, expected in (("", SERVING), ("no.such.Service", SERVICE_UNKNOWN)):
            call = watch(health_request(service), timeout=CALL_TIMEOUT_S)
            self.assertEqual(expected, health_status(next(call)), service)
            # Still open: the status only changes when the node does.
            call.cancel()
            with self.assertRaises(grpc.RpcError) as ended:
                next(call)
            self.assertEqual(grpc.StatusCode.CANCELLED, ended.exception.code())


if __name__ == "__main__":
    unittest.main()
