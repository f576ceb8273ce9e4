// The node's change feed (GET /api/v1/events, Server-Sent Events) over fetch streaming, so the
// token travels as a header (EventSource cannot send one). Parsed by hand per the WHATWG
// event-stream rules; resumable: every reconnect sends Last-Event-ID, and the node then sends
// every change after it once, in order.
import { gatewayBase, gatewayFetch, linkedAbort, tagPairs } from './http.js';
import { GatewayError } from './errors.js';

const DEFAULT_RETRY_MS = 1000;

/**
 * Parses an event stream incrementally: feed text with `push`, get back complete events
 * `{ id, event, data, retry }` (id: the last event ID in effect, as the spec says).
 */
export function createEventStreamParser() {
  let buffer = '';
  let data = [];
  let eventType = '';
  let lastId = '';
  let retry;
  let sawData = false;
  let skipLf = false;
  const line = (text, out) => {
    if (text === '') {
      if (sawData) out.push({ id: lastId, event: eventType || 'message', data: data.join('\n'), retry });
      data = [];
      eventType = '';
      sawData = false;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      data.push(value);
      sawData = true;
    } else if (field === 'event') eventType = value;
    else if (field === 'id' && !value.includes('\0')) lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  };
  return {
    push(text) {
      buffer += text;
      const out = [];
      // A CR ends a line at once; an LF right after it (perhaps in the next piece) belongs to it.
      if (skipLf && buffer.startsWith('\n')) buffer = buffer.slice(1);
      skipLf = false;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) break;
        line(buffer.slice(0, match.index), out);
        buffer = buffer.slice(match.index + match[0].length);
        if (match[0] === '\r' && buffer === '') skipLf = true;
      }
      return out;
    },
    get lastEventId() {
      return lastId;
    },
  };
}

function eventsUrl(gateway, { tags, tag, changes, kinds }) {
  const query = new URLSearchParams();
  for (const pair of [...tagPairs(tag), ...tagPairs(tags)]) query.append('tag', pair);
  for (const change of changes ?? []) query.append('change', change);
  for (const kind of kinds ?? []) query.append('kind', kind);
  const search = query.size > 0 ? `?${query}` : '';
  return `${gatewayBase(gateway)}/api/v1/events${search}`;
}

function abortable(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/**
 * Subscribes to the node's changes and calls `onTable(change)` for each, in order: `change` is the
 * event's JSON (`sequence`, `change`, `cid`, `kind`, `at`, `rows`, `bytes`, `tags`, and for
 * `versioned` `name` and `version`) plus `id` (its event ID). Options: gateway, token, tags
 * (filter), changes and kinds (filters), lastEventId (resume after it), signal, onError (told of
 * each dropped connection before the reconnect), fetch.
 *
 * Returns `{ stop(), closed, lastEventId }`: `stop()` ends it, `closed` settles when it has ended
 * (rejected with a GatewayError when the node refused the subscription: 4xx are not retried, and
 * with whatever `onTable` threw), `lastEventId` is the ID to resume from later.
 */
export function subscribe(options, onTable) {
  const { gateway, token, signal, onError, fetch: fetchImpl } = options ?? {};
  if (typeof onTable !== 'function') throw new TypeError('subscribe needs an onTable callback');
  const { controller, dispose } = linkedAbort(signal);
  const url = eventsUrl(gateway, options ?? {});
  const state = { lastEventId: options?.lastEventId === undefined ? undefined : String(options.lastEventId), retryMs: DEFAULT_RETRY_MS };

  let callbackFailure;
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const headers = { Accept: 'text/event-stream' };
        if (state.lastEventId !== undefined) headers['Last-Event-ID'] = state.lastEventId;
        const response = await gatewayFetch(url, { token, headers, signal: controller.signal, fetchImpl });
        const parser = createEventStreamParser();
        const decoder = new TextDecoder();
        const reader = response.body.getReader();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const event of parser.push(decoder.decode(value, { stream: true }))) {
              if (event.retry !== undefined) state.retryMs = event.retry;
              if (event.id !== '') state.lastEventId = event.id;
              let change;
              try {
                change = JSON.parse(event.data);
              } catch {
                change = { data: event.data };
              }
              try {
                await onTable({ id: event.id, event: event.event, ...change });
              } catch (error) {
                callbackFailure = { error };
                throw error;
              }
            }
          }
        } finally {
          reader.releaseLock();
        }
      } catch (error) {
        if (callbackFailure) throw callbackFailure.error;
        if (controller.signal.aborted) return;
        // A refusal (bad token, bad filter) will not change by asking again; anything else is a
        // dropped connection or a node restarting: resume after the last event seen.
        if (error instanceof GatewayError && error.status >= 400 && error.status < 500) throw error;
        onError?.(error);
      }
      await abortable(state.retryMs, controller.signal);
    }
  };

  const closed = run().finally(dispose);
  closed.catch(() => {});
  return {
    stop() {
      controller.abort();
    },
    closed,
    get lastEventId() {
      return state.lastEventId;
    },
  };
}
