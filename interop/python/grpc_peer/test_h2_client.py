"""hyper-h2 (python3-h2) as a second HTTP/2 client: gRPC calls written by hand (headers, the 5-octet
message prefix, trailers) against an ArrowCid node, with hyper-h2's default 64 KiB windows and
16 KiB frames, so the node's send side runs under a small peer window.
"""
import unittest

from grpc_peer import flight
from grpc_peer.h2peer import H2GrpcClient


class HyperH2GrpcTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.config = flight.load_config()
        cls.m = flight.Messages(cls.config["descriptor_set"])

    def descriptor(self, cid):
        return self.m.FlightDescriptor(type=self.m.FlightDescriptor.PATH, path=[cid]).SerializeToString()

    def ticket(self, cid):
        return self.m.Ticket(ticket=cid.encode()).SerializeToString()

    def assert_ok(self, response):
        self.assertEqual("200", response.headers.get(":status"), response.headers)
        self.assertTrue(response.headers.get("content-type", "").startswith("application/grpc"), response.headers)
        self.assertEqual(0, response.status, f"grpc-status {response.status}: {response.message}")
        self.assertIn("grpc-status", response.trailers, "the status must come in trailers after the messages")

    def test_unary_get_flight_info(self):
        small = self.config["small"]
        with H2GrpcClient(self.config["target"]) as client:
            response = client.call("GetFlightInfo", self.descriptor(small["cid"]))
        self.assert_ok(response)
        [message] = response.messages
        info = self.m.FlightInfo.FromString(message)
        self.assertEqual(small["rows"], info.total_records)
        self.assertEqual(small["cid"], info.endpoint[0].ticket.ticket.decode())

    def test_server_streaming_do_get_of_a_multi_mib_table_rehashes_chunk_by_chunk(self):
        large = self.config["large"]
        with H2GrpcClient(self.config["target"]) as client:
            response = client.call("DoGet", self.ticket(large["cid"]))
        self.assert_ok(response)
        data = [self.m.FlightData.FromString(m) for m in response.messages]
        self.assertEqual(large["bytes"], flight.verify_do_get(data, large))
        # 16 KiB frames at most: hyper-h2 announced no larger SETTINGS_MAX_FRAME_SIZE.
        self.assertGreaterEqual(response.data_frames, sum(len(m) for m in response.messages) // 16384)

    def test_an_error_is_a_trailers_only_response(self):
        unknown = flight.cid_of_raw_block(b"nothing stored under this")
        with H2GrpcClient(self.config["target"]) as client:
            response = client.call("DoGet", self.ticket(unknown))
        self.assertEqual("200", response.headers.get(":status"))
        self.assertEqual(5, response.status, response.message)  # NOT_FOUND
        self.assertEqual({}, response.trailers)
        self.assertEqual(b"", bytes(response.body))

    def test_interleaved_streams_on_one_connection(self):
        small, large = self.config["small"], self.config["large"]
        with H2GrpcClient(self.config["target"]) as client:
            streams = [client.start("DoGet", self.ticket(large["cid"])),
                       client.start("GetFlightInfo", self.descriptor(small["cid"])),
                       client.start("DoGet", self.ticket(small["cid"])),
                       client.start("DoGet", self.ticket(large["cid"]))]
            responses = client.wait(streams)
        for response in responses:
            self.assert_ok(response)
        for i in (0, 2, 3):
            entry = small if i == 2 else large
            flight.verify_do_get([self.m.FlightData.FromString(m) for m in responses[i].messages], entry)


if __name__ == "__main__":
    unittest.main()
