// The differential judge of `arrowcid sql` (tests/ArrowCid.Sql.Tests/SqlDifferentialTests.cs): DuckDB
// through @duckdb/node-api, reading our Parquet exports of the same table versions with its own
// Parquet reader, answers every generated query of ARROWCID_SQL_DIFF ({ files: { NAME: path },
// queries: [ text with {NAME} placeholders ] }). Each answer is written as DuckDB renders it: the row
// count, then every row cast to text, sorted (so the order a query leaves open does not matter).
// The answers go to ARROWCID_SQL_DIFF_OUT, where the C# test compares them with its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const input = process.env.ARROWCID_SQL_DIFF;
const skip = input ? false : 'ARROWCID_SQL_DIFF is not set (run through the .NET test SqlDifferentialTests)';

test('DuckDB over our Parquet exports answers every generated query', { skip }, async () => {
  const { files, queries, wrap } = JSON.parse(fs.readFileSync(input, 'utf8'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  const answers = [];
  for (const query of queries) {
    const text = query.replace(/\{([a-z]+(?:@[0-9]+)?)\}/g, (_, name) => {
      assert.ok(files[name], `no file for ${name}`);
      return `read_parquet('${files[name].replaceAll("'", "''")}')`;
    });
    try {
      const reader = await connection.runAndReadAll(wrap.replace('<QUERY>', text));
      answers.push(String(reader.getRowsJS()[0][0]));
    } catch (error) {
      answers.push(`error: ${error.message}`);
    }
  }
  fs.writeFileSync(process.env.ARROWCID_SQL_DIFF_OUT, JSON.stringify(answers));
  connection.closeSync();
});
