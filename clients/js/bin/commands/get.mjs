// arrowcid-js get CID|NAME --gateway URL [--token T] -o FILE [--format stream|file] [--concurrency N]:
// fetches the table through a node's HTTP gateway, every block verified against its CID and the
// manifest tree (fetchTable), and writes it as an Arrow IPC stream (default) or file, batch by
// batch as the chunks arrive ("-o -": standard output).
import { createWriteStream, rmSync } from 'node:fs';
import { RecordBatchFileWriter, RecordBatchStreamWriter } from 'apache-arrow';
import { fetchTable, ArrowCidError } from '../../src/index.js';
import { parseCommand } from '../command-args.mjs';

const USAGE = 'usage: arrowcid-js get CID|NAME[@N] --gateway URL [--token T] -o FILE [--format stream|file] [--concurrency N]\n';

function check(values, positionals) {
  if (positionals.length !== 1) throw new Error('one CID or NAME is required');
  if (!values.output) throw new Error('-o FILE is required');
  if (values.format !== 'stream' && values.format !== 'file') throw new Error(`--format is stream or file, not '${values.format}'`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency is a positive integer, not '${values.concurrency}'`);
  return { ref: positionals[0], ...values, concurrency };
}

export async function run(args) {
  const options = parseCommand('get', USAGE, args, {
    output: { type: 'string', short: 'o' },
    format: { type: 'string', default: 'stream' },
    concurrency: { type: 'string', default: '8' },
  }, check);
  if (options === null) return 2;
  const toStdout = options.output === '-';
  const out = toStdout ? process.stdout : createWriteStream(options.output);
  const finished = toStdout ? Promise.resolve() : new Promise((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  finished.catch(() => {});
  const writer = options.format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  writer.toNodeStream().pipe(out, { end: !toStdout });
  let rows = 0;
  let batches = 0;
  try {
    for await (const batch of fetchTable(options.ref, options)) {
      // Each chunk carries its own dictionaries: the stream writes them as replacements, which the
      // file format forbids (as the gateway's own arrow-file answer says), so a file takes one.
      if (options.format === 'file' && batches > 0 && batch.schema.dictionaries.size > 0) {
        throw new ArrowCidError('this table has dictionary-encoded columns in several chunks: write it as a stream (--format stream)');
      }
      writer.write(batch);
      rows += batch.numRows;
      batches++;
    }
    writer.finish();
    await finished;
  } catch (e) {
    writer.abort?.();
    if (!toStdout) {
      // Nothing unverified or partial is left behind under the name asked for.
      out.destroy();
      rmSync(options.output, { force: true });
    }
    process.stderr.write(`arrowcid-js get: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`verified ${options.ref}: ${rows} rows in ${batches} batches → ${toStdout ? 'stdout' : options.output}\n`);
  return 0;
}
