// The npm ipns package (the IPNS Record spec's JavaScript implementation) judges ArrowCid's IPNS
// records: tests/ArrowCid.Names.Tests/IpnsRecordTests.cs writes records of one name to
// ARROWCID_IPNS_RECORDS ({ name, routing_key, records: { good, other_key, expired } }, base64); the
// package must accept the good one for the name and refuse one signed by another key and an
// expired one. It then makes a record with a key of its own and writes it to ARROWCID_IPNS_THEIRS,
// which the C# test verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createIPNSRecord, marshalIPNSRecord, unmarshalIPNSRecord } from 'ipns';
import { ipnsValidator } from 'ipns/validator';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { CID } from 'multiformats/cid';
import { base36 } from 'multiformats/bases/base36';

const input = process.env.ARROWCID_IPNS_RECORDS;
const skip = input ? false : 'ARROWCID_IPNS_RECORDS is not set (run through the .NET test IpnsRecordTests)';

test('our records: the good one validates for its name, the re-signed and the expired ones do not', { skip }, async () => {
  const { name, routing_key: routingKeyText, records } = JSON.parse(fs.readFileSync(input, 'utf8'));
  const routingKey = Buffer.from(routingKeyText, 'base64');
  const good = Buffer.from(records.good, 'base64');
  await ipnsValidator(routingKey, good);
  const record = unmarshalIPNSRecord(good);
  assert.equal(record.value, '/ipfs/bafyreicygectcrmwz2bavjmgvdgeapn5iplezwlyx6dz3f6rrggf3u4jca');
  assert.equal(record.sequence, 7n);
  // The name is the libp2p-key CID of the key whose routing key this is.
  const cid = CID.parse(name, base36);
  assert.equal(cid.code, 0x72);
  assert.deepEqual(Buffer.from(routingKey.subarray('/ipns/'.length)), Buffer.from(cid.multihash.bytes));
  await assert.rejects(ipnsValidator(routingKey, Buffer.from(records.other_key, 'base64')));
  await assert.rejects(ipnsValidator(routingKey, Buffer.from(records.expired, 'base64')), /expired|Expired/);
});

test('its record: made with its own key, for our verification', { skip }, async () => {
  const key = await generateKeyPair('Ed25519');
  const record = await createIPNSRecord(key, '/ipfs/bafyreicygectcrmwz2bavjmgvdgeapn5iplezwlyx6dz3f6rrggf3u4jca', 42n, 60 * 60 * 1000);
  const name = key.publicKey.toCID().toString(base36);
  fs.writeFileSync(process.env.ARROWCID_IPNS_THEIRS, JSON.stringify({ name, record: Buffer.from(marshalIPNSRecord(record)).toString('base64') }));
});
