// The event-stream parser subscribe uses, on the framings the WHATWG rules allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventStreamParser } from '../src/subscribe.js';

// No test may hang CI: a node that stops answering fails the test instead.
const LIMIT = { timeout: 240_000 };

test('events split anywhere, with CRLF, CR or LF, comments and multi-line data', LIMIT, () => {
  const text = ': subscribed after 0\r\n\r\nid: 7\r\nevent: versioned\r\ndata: {"a":1}\r\n\r\n: keep-alive\n\nid:8\ndata: line one\ndata:line two\rretry: 2500\r\r';
  for (const size of [1, 2, 3, 7, text.length]) {
    const parser = createEventStreamParser();
    const events = [];
    for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
    assert.deepEqual(events, [
      { id: '7', event: 'versioned', data: '{"a":1}', retry: undefined },
      { id: '8', event: 'message', data: 'line one\nline two', retry: 2500 },
    ], `pieces of ${size}`);
    assert.equal(parser.lastEventId, '8');
  }
});

test('an event without data is not dispatched, but its id is kept', LIMIT, () => {
  const parser = createEventStreamParser();
  assert.deepEqual(parser.push('id: 5\n\n'), []);
  assert.equal(parser.lastEventId, '5');
});
