"""The HTTP/2 stress run of gRPC C-core (python3-grpcio, pyarrow.flight's transport) against an
ArrowCid gRPC server serving the stress service (tests/ArrowCid.Flight.Tests/Stress).

Each call is a duplex /stress.Stress/Exchange: the first request message's Action.type carries the
plan (`seed=S;request=N;respond=M;delay=D;readdelay=R;fail=0|1`), the request octets follow the
pattern of seed S and the response octets that of seed S+1, where the octet at offset i of a
pattern of seed s is (s + i) mod 256. Sizes run from 0 to 8 MiB each way; some calls are
cancelled, some have a deadline shorter than the server's planned delay, some ask the server to
fail half way. Every call must end as planned within its deadline; one still open 30 s past it is
a hang. Prints one summary line last and exits 1 on any hang or unexpected ending.

Usage: python3 -m grpc_peer.stress --target HOST:PORT [--calls N] [--concurrency N] [--seed S]
"""
import argparse
import concurrent.futures
import random
import sys
import threading
import time
from typing import Iterator, List, Optional, Tuple

import grpc

METHOD = "/stress.Stress/Exchange"
MAX_PIECE = 1 << 20
CALL_DEADLINE_S = 60.0
HANG_GRACE_S = 30.0


def pattern(seed: int, offset: int, length: int) -> bytes:
    """The octets at [offset, offset + length) of the pattern of `seed`."""
    block = bytes((seed + i) & 0xFF for i in range(256))
    start = offset % 256
    return (block * (length // 256 + 2))[start:start + length]


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def encode_action(message: Tuple[str, bytes]) -> bytes:
    """Flight's Action {string type = 1; bytes body = 2;} in protobuf's wire format."""
    kind, body = message
    out = b""
    if kind:
        encoded = kind.encode()
        out += b"\x0a" + varint(len(encoded)) + encoded
    if body:
        out += b"\x12" + varint(len(body)) + body
    return out


def decode_result(data: bytes) -> bytes:
    """The body of Flight's Result {bytes body = 1;}."""
    position = 0
    body = b""
    while position < len(data):
        tag = data[position]
        position += 1
        length = 0
        shift = 0
        while True:
            octet = data[position]
            position += 1
            length |= (octet & 0x7F) << shift
            shift += 7
            if octet < 0x80:
                break
        if tag == 0x0A:
            body = data[position:position + length]
        position += length
    return body


def size(rng: random.Random) -> int:
    """0 to 8 MiB: one in eight empty, else 60% up to 16 KiB, 30% from 16 to 512 KiB, 10% from 512 KiB to 8 MiB."""
    if rng.randrange(8) == 0:
        return 0
    bucket = rng.randrange(10)
    if bucket < 6:
        return int((16 << 10) ** rng.random())
    if bucket < 9:
        return (16 << 10) + int(((512 - 16) << 10) ** rng.random())
    return rng.randrange(512 << 10, (8 << 20) + 1)


class Plan:
    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.rng = rng
        roll = rng.randrange(100)
        self.kind = "cancel" if roll < 5 else "deadline" if roll < 9 else "fail" if roll < 12 else "ok"
        self.seed = seed & 0x7FFFFFFF
        self.request = size(rng)
        self.respond = size(rng)
        self.delay = 2000 if self.kind == "deadline" else (rng.randrange(20) if rng.randrange(4) == 0 else 0)
        self.read_delay = rng.randrange(1, 6) if rng.randrange(3) == 0 else 0
        self.client_read_delay = rng.randrange(1, 6) if rng.randrange(3) == 0 else 0
        self.piece = MAX_PIECE if rng.randrange(2) == 0 else rng.randrange(1, 64 << 10)
        self.deadline = 0.2 if self.kind == "deadline" else CALL_DEADLINE_S

    def text(self) -> str:
        return (f"seed={self.seed};request={self.request};respond={self.respond};delay={self.delay};"
                f"readdelay={self.read_delay};fail={1 if self.kind == 'fail' else 0}")

    def messages(self) -> Iterator[Tuple[str, bytes]]:
        sent = 0
        first = True
        while first or sent < self.request:
            length = min(self.piece, self.request - sent)
            yield (self.text() if first else "", pattern(self.seed, sent, length))
            sent += length
            first = False


def one_call(channel: grpc.Channel, plan: Plan) -> str:
    """Runs one call; returns its outcome ("OK", a status name) or "UNEXPECTED …"."""
    exchange = channel.stream_stream(METHOD, request_serializer=encode_action, response_deserializer=decode_result)
    call = exchange(plan.messages(), timeout=plan.deadline)
    received = 0
    cancel_early = plan.kind == "cancel" and plan.rng.randrange(2) == 0
    if cancel_early:
        call.cancel()
    try:
        for body in call:
            if body != pattern(plan.seed + 1, received, len(body)):
                return f"UNEXPECTED response octets at {received} do not follow the pattern"
            received += len(body)
            if plan.kind == "cancel":
                call.cancel()
            if plan.client_read_delay and plan.rng.randrange(4) == 0:
                time.sleep(plan.rng.randrange(plan.client_read_delay + 1) / 1000.0)
    except grpc.RpcError as error:
        code = error.code()
        expected = {"cancel": grpc.StatusCode.CANCELLED, "deadline": grpc.StatusCode.DEADLINE_EXCEEDED,
                    "fail": grpc.StatusCode.ABORTED}.get(plan.kind)
        if code == expected:
            return code.name
        return f"UNEXPECTED {code.name}: {error.details()}"
    if received != plan.respond:
        return f"UNEXPECTED OK after {received} of {plan.respond} response octets"
    return "OK" if plan.kind in ("ok", "cancel", "deadline") else f"UNEXPECTED OK for a {plan.kind} call"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    options = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]
    # Several connections: grpcio shares one per target unless the channels' arguments differ.
    channels = [grpc.insecure_channel(args.target, options=options + [("arrowcid.stress.channel", i)]) for i in range(4)]
    outcomes: dict = {}
    problems: List[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        plans = [Plan(args.seed + 100_000 + index) for index in range(args.calls)]
        futures = [(plan, pool.submit(one_call, channels[index % len(channels)], plan)) for index, plan in enumerate(plans)]
        # Every call has a deadline of at most CALL_DEADLINE_S; queued behind the others, all of
        # them together can take no longer than this unless one hangs.
        budget = (CALL_DEADLINE_S + HANG_GRACE_S) * (args.calls // args.concurrency + 1)
        concurrent.futures.wait([future for _, future in futures], timeout=budget)
        for plan, future in futures:
            if future.done():
                outcome = future.result()
            else:
                outcome = "HANG"
                future.cancel()
            with lock:
                key = "UNEXPECTED" if outcome.startswith("UNEXPECTED") else outcome
                outcomes[key] = outcomes.get(key, 0) + 1
                if key in ("UNEXPECTED", "HANG"):
                    problems.append(f"{plan.kind} {plan.text()}: {outcome}")
    for channel in channels:
        channel.close()
    for problem in problems[:20]:
        print(problem)
    hangs = outcomes.get("HANG", 0)
    unexpected = outcomes.get("UNEXPECTED", 0)
    listed = ", ".join(f"{key} {value}" for key, value in sorted(outcomes.items()))
    print(f"http2 stress [grpcio (C-core) -> our server]: {args.calls} calls, {hangs} hangs, {unexpected} unexpected in "
          f"{time.monotonic() - started:.1f} s; outcomes: {listed}; seed {args.seed}")
    return 0 if hangs == 0 and unexpected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
