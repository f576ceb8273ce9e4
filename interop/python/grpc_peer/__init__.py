"""Independent peers of an ArrowCid node from Debian's Python packages: gRPC C-core (python3-grpcio,
pyarrow.flight's transport) as a Flight client, hyper-h2 (python3-h2) as a second HTTP/2 client,
and raw HTTP/2 frames for abuse. Run by tests/ArrowCid.Flight.Tests/PythonPeers with
`/usr/bin/python3 -m unittest -v grpc_peer.MODULE` in interop/python; ARROWCID_PY_PEER names the
JSON the driver writes (node address, tokens, CIDs, fixture files).
"""
