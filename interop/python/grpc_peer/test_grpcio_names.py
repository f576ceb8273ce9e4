"""gRPC C-core: a DoPut named by a plain PATH, as every Flight tutorial does
(`FlightDescriptor.for_path("sensors")`), then GetFlightInfo and GetSchema by that name.
"""
import unittest

from grpc_peer.test_grpcio import FlightPeerTestCase


class GrpcCoreNamedPutTests(FlightPeerTestCase):

    def test_do_put_with_a_plain_path_name_records_a_dataset_that_get_flight_info_answers_by_name(self):
        data, rows = self.stream("path_name")
        results = self.client.do_put(data, self.client.path("sensors"))
        _, dataset = self.assert_put_of_canonical_stream(results, data, rows)
        info = self.client.get_flight_info(self.client.path("sensors"))
        self.assertEqual([dataset], [e.ticket.ticket.decode() for e in info.endpoint])
        self.assertEqual(rows, info.total_records)
        self.assertEqual(info.schema, self.client.get_schema(self.client.path("sensors")).schema)


if __name__ == "__main__":
    unittest.main()
