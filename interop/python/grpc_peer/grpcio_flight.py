"""A Flight client on gRPC C-core (Debian's python3-grpcio, the transport under pyarrow.flight), with
message classes from flight.Messages. Calls carry `authorization: Bearer TOKEN` when given one.
"""
import hashlib
import json

import grpc

from grpc_peer import flight

# Every call gets a deadline, so a peer that stops answering fails the test instead of hanging it.
CALL_TIMEOUT_S = 60

# Lifts grpcio's default 4 MiB receive limit (pyarrow.flight does the same for its clients).
UNLIMITED_RECEIVE = [("grpc.max_receive_message_length", -1)]


class FlightClient:
    """The FlightService methods over one grpc.Channel."""

    def __init__(self, channel, messages, token=None):
        self.channel = channel
        self.m = messages
        self.token = token
        m = messages

        def method(kind, name, request, response):
            return getattr(channel, kind)(flight.SERVICE + name, request_serializer=request.SerializeToString,
                                          response_deserializer=response.FromString)

        self.handshake_call = method("stream_stream", "Handshake", m.HandshakeRequest, m.HandshakeResponse)
        self.list_flights_call = method("unary_stream", "ListFlights", m.Criteria, m.FlightInfo)
        self.get_flight_info_call = method("unary_unary", "GetFlightInfo", m.FlightDescriptor, m.FlightInfo)
        self.get_schema_call = method("unary_unary", "GetSchema", m.FlightDescriptor, m.SchemaResult)
        self.do_get_call = method("unary_stream", "DoGet", m.Ticket, m.FlightData)
        self.do_put_call = method("stream_stream", "DoPut", m.FlightData, m.PutResult)
        self.do_exchange_call = method("stream_stream", "DoExchange", m.FlightData, m.FlightData)
        self.list_actions_call = method("unary_stream", "ListActions", m.Empty, m.ActionType)
        self.do_action_call = method("unary_stream", "DoAction", m.Action, m.Result)

    def metadata(self, token=None):
        token = token or self.token
        return (("authorization", "Bearer " + token),) if token else ()

    def path(self, *elements):
        return self.m.FlightDescriptor(type=self.m.FlightDescriptor.PATH, path=list(elements))

    def cmd(self, command):
        text = command if isinstance(command, (bytes, bytearray)) else json.dumps(command).encode()
        return self.m.FlightDescriptor(type=self.m.FlightDescriptor.CMD, cmd=text)

    def list_flights(self, expression=b""):
        return list(self.list_flights_call(self.m.Criteria(expression=expression), metadata=self.metadata(),
                                           timeout=CALL_TIMEOUT_S))

    def get_flight_info(self, descriptor):
        return self.get_flight_info_call(descriptor, metadata=self.metadata(), timeout=CALL_TIMEOUT_S)

    def get_schema(self, descriptor):
        return self.get_schema_call(descriptor, metadata=self.metadata(), timeout=CALL_TIMEOUT_S)

    def do_get(self, cid):
        """The FlightData of a DoGet, all of them."""
        return list(self.do_get_call(self.m.Ticket(ticket=cid.encode()), metadata=self.metadata(),
                                     timeout=CALL_TIMEOUT_S))

    def do_get_verified(self, cid):
        """DoGet of a batch CID, rebuilt as an IPC stream whose SHA-256 must be the CID's digest."""
        stream = flight.rebuild_ipc_stream(self.do_get(cid))
        if hashlib.sha256(stream).digest() != flight.sha256_digest_of_cid(cid):
            raise AssertionError(f"DoGet {cid}: the rebuilt stream ({len(stream)} octets) does not hash to the CID")
        return stream

    def do_put(self, stream_bytes, descriptor):
        """Sends an IPC stream (message by message, the descriptor on the first) and returns the PutResult JSON objects."""
        requests = flight.flight_data_of_stream(self.m, stream_bytes, descriptor)
        results = self.do_put_call(iter(requests), metadata=self.metadata(), timeout=CALL_TIMEOUT_S)
        return [json.loads(r.app_metadata) for r in results]

    def list_actions(self, token=None):
        return [a.type for a in self.list_actions_call(self.m.Empty(), metadata=self.metadata(token),
                                                       timeout=CALL_TIMEOUT_S)]
