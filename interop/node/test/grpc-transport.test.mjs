// @grpc/grpc-js, an independent gRPC implementation, calls ArrowCid's Flight transport.
// The C# test NodeGrpcInteropTests starts the server and sets ARROWCID_GRPC_TEST_URL;
// without it there is no server to call, so the tests skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const serverUrl = process.env.ARROWCID_GRPC_TEST_URL;
const skip = serverUrl ? false : 'ARROWCID_GRPC_TEST_URL is not set (run through the .NET test NodeGrpcInteropTests)';
const here = path.dirname(fileURLToPath(import.meta.url));

function flightClient() {
  const definition = protoLoader.loadSync(path.join(here, '../../../proto/Flight.proto'), {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const proto = grpc.loadPackageDefinition(definition);
  const target = new URL(serverUrl).host;
  return new proto.arrow.flight.protocol.FlightService(target, grpc.credentials.createInsecure());
}

function collect(call) {
  return new Promise((resolve, reject) => {
    const items = [];
    call.on('data', (item) => items.push(item));
    call.on('error', reject);
    call.on('end', () => resolve(items));
  });
}

test('ListActions streams the action types', { skip }, async () => {
  const client = flightClient();
  try {
    const actions = await collect(client.ListActions({}));
    assert.deepEqual(actions.map((a) => a.type), ['echo', 'fail']);
    assert.equal(actions[0].description, 'returns the body');
  } finally {
    client.close();
  }
});

test('DoAction echo returns the body then done', { skip }, async () => {
  const client = flightClient();
  try {
    const results = await collect(client.DoAction({ type: 'echo', body: Buffer.from('héllo bytes') }));
    assert.deepEqual(results.map((r) => Buffer.from(r.body).toString('utf8')), ['héllo bytes', 'done']);
  } finally {
    client.close();
  }
});

test('DoAction fail gives INVALID_ARGUMENT with the percent-decoded message', { skip }, async () => {
  const client = flightClient();
  try {
    await assert.rejects(collect(client.DoAction({ type: 'fail', body: Buffer.alloc(0) })), (error) => {
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(error.details, 'action failed: 100% ünïcödé ✓');
      return true;
    });
  } finally {
    client.close();
  }
});

test('DoGet streams FlightData in order', { skip }, async () => {
  const client = flightClient();
  try {
    const data = await collect(client.DoGet({ ticket: Buffer.from('25') }));
    assert.equal(data.length, 25);
    data.forEach((d, i) => {
      assert.equal(Buffer.from(d.app_metadata).toString(), `batch-${i}`);
      assert.equal(d.data_body.length, i * 10);
    });
  } finally {
    client.close();
  }
});

test('An RPC the service does not override is UNIMPLEMENTED', { skip }, async () => {
  const client = flightClient();
  try {
    await assert.rejects(
      new Promise((resolve, reject) => client.GetFlightInfo({ type: 'PATH', path: ['x'] }, (e, r) => (e ? reject(e) : resolve(r)))),
      (error) => error.code === grpc.status.UNIMPLEMENTED && /GetFlightInfo/.test(error.details),
    );
  } finally {
    client.close();
  }
});

test('A deadline is sent as grpc-timeout and honoured', { skip }, async () => {
  const client = flightClient();
  try {
    // A DoGet of 1 message under a generous deadline succeeds: the server parsed grpc-timeout.
    const deadline = new Date(Date.now() + 10_000);
    const data = await collect(client.DoGet({ ticket: Buffer.from('1') }, { deadline }));
    assert.equal(data.length, 1);
  } finally {
    client.close();
  }
});
