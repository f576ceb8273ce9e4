// Two independent Flight SQL clients drive a node's Flight SQL: @lakehouse-rs/flight-sql-client (the
// Rust arrow-flight crate's FlightSqlServiceClient through napi: Basic handshake, prepared statements,
// GetTables) and @lancedb/arrow-flight-sql-client (grpc-js and protobufjs: Basic handshake, statement
// query, DoGet). Each connects with a user's password, lists the tables and runs the queries the C#
// test FlightSqlInteropTests gives (ARROWCID_SQL_QUERIES, a JSON array); the answers each received are
// written to ARROWCID_SQL_OUT (the Rust client's Arrow IPC file as it came, the grpc-js client's rows
// as JSON), where the C# test compares them with `arrowcid sql`'s answer: by CID, and row by row. A file read from SQL is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createFlightSqlClient } from '@lakehouse-rs/flight-sql-client';
import { Client } from '@lancedb/arrow-flight-sql-client';
import { tableFromIPC } from 'apache-arrow';

const serverUrl = process.env.ARROWCID_SQL_TEST_URL;
const skip = serverUrl ? false : 'ARROWCID_SQL_TEST_URL is not set (run through the .NET test FlightSqlInteropTests)';
const queries = serverUrl ? JSON.parse(process.env.ARROWCID_SQL_QUERIES) : [];
const out = process.env.ARROWCID_SQL_OUT;
const [user, password] = (process.env.ARROWCID_SQL_USER ?? ':').split(':');
const host = serverUrl ? new URL(serverUrl) : null;

test('the Rust arrow-flight client lists tables and runs every query', { skip }, async () => {
  const client = await createFlightSqlClient({
    host: host.hostname, port: Number(host.port), username: user, password, tls: false, headers: [],
  });
  const tables = tableFromIPC(await client.getTables({ includeSchema: true }));
  const names = tables.getChild('table_name').toArray();
  assert.ok(names.includes('sensors'), `tables: ${names}`);
  assert.equal(tables.getChild('table_type').get(names.indexOf('sensors')), 'TABLE');
  assert.equal(tableFromIPC(await client.getCatalogs()).numRows, 0);
  for (const [i, sql] of queries.entries()) {
    const answer = await client.query(sql);
    fs.writeFileSync(path.join(out, `rust-${i}.arrows`), answer);
  }
  await assert.rejects(client.query("SELECT * FROM read_csv('/etc/passwd')"));
});

test('the grpc-js client runs every query', { skip }, async () => {
  const client = await Client.connect({ host: host.host, username: user, password, insecure: true });
  for (const [i, sql] of queries.entries()) {
    const result = await client.query(sql);
    // The rows as the client gives them, 64-bit integers as text (JSON has no 64-bit integers).
    const rows = await result.collectToObjects();
    const json = JSON.stringify(rows.map((row) => (typeof row.toJSON === 'function' ? row.toJSON() : row)), (_, value) => (typeof value === 'bigint' ? value.toString() : value));
    fs.writeFileSync(path.join(out, `grpcjs-${i}.json`), json);
  }
  await assert.rejects(client.query("COPY (SELECT 1) TO '/tmp/arrowcid-interop-copy.csv'"), /PERMISSION_DENIED|Permission/i);
  assert.equal(fs.existsSync('/tmp/arrowcid-interop-copy.csv'), false);
});
