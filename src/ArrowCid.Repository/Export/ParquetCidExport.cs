using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Parquet.Writing;
using ArrowCid.Wire;
namespace ArrowCid.Repository.Export;

/// <summary>
/// Exports repository tables by CID as one Parquet file: every chunk of every table given, in
/// order, opened zero-copy one at a time and released as soon as its rows are in a written row
/// group, so memory stays bounded by a row group. A row group gathers whole chunks while it stays
/// within <see cref="ParquetWriteOptions.RowGroupSize"/> rows and <see cref="Plan.RowGroupBytes"/>
/// of chunk bytes (a chunk alone over the row limit is split), so row groups are the size Parquet
/// readers like rather than one per 1 MiB chunk, and importing the file gives back the same table
/// CID (chunk boundaries depend only on the rows). The footer carries <c>arrowcid.cids</c> (JSON
/// array of the chunk CIDs in order) and, when a single table is exported, <c>arrowcid.dataset</c>
/// (its CID). The one table → Parquet writer: <c>arrowcid export parquet</c> and the HTTP gateway
/// both write through it.
/// </summary>
public static class ParquetCidExport
{
    /// <summary>Footer key of the JSON array of chunk CIDs.</summary>
    public const string CidsKey = "arrowcid.cids";

    /// <summary>Footer key of the table CID.</summary>
    public const string DatasetKey = "arrowcid.dataset";

    /// <summary>Default most chunk bytes (canonical Arrow) gathered into one row group: 64 MiB, within the 64–128 MiB Parquet writers usually aim at.</summary>
    public const long DefaultRowGroupBytes = 64L << 20;

    /// <summary>What an export will write: the one schema, the chunks in order, the table when only one is exported.</summary>
    /// <param name="Schema">The schema every table has.</param>
    /// <param name="Chunks">Every chunk of every table, in order (a table given twice is there twice).</param>
    /// <param name="Table">The table's CID when exactly one was given.</param>
    /// <param name="Rows">Rows in all.</param>
    /// <param name="RowGroupBytes">Most chunk bytes a row group gathers (a single chunk may be larger).</param>
    public sealed record Plan(Schema Schema, IReadOnlyList<TableTreeEntry> Chunks, Cid? Table, long Rows, long RowGroupBytes = DefaultRowGroupBytes);

    /// <summary>Resolves <paramref name="cids"/> (tables of any form) to their chunks and checks they share one schema, before anything is written.</summary>
    /// <exception cref="TableSchemaMismatchException">Two tables have different schemas.</exception>
    public static Plan Resolve(ContentRepository content, IReadOnlyList<Cid> cids, long rowGroupBytes = DefaultRowGroupBytes)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(cids);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupBytes, 1);
        Schema? schema = null;
        Cid? schemaFrom = null;
        var chunks = new List<TableTreeEntry>();
        long rows = 0;
        foreach (var cid in cids)
        {
            // Only the root and the manifest nodes are read here; each chunk is re-hashed when exported.
            // A table with a hole is refused before a byte of the file is written.
            content.RequireComplete(cid);
            var table = content.OpenTable(cid);
            Check(table.Schema, cid);
            chunks.AddRange(table.Chunks());
            rows += table.Rows;
        }

        return new Plan(schema!, chunks, cids.Count == 1 ? cids[0] : null, rows, rowGroupBytes);

        void Check(Schema candidate, Cid cid)
        {
            if (schema is null)
            {
                (schema, schemaFrom) = (candidate, cid);
            }
            else if (!schema.Equals(candidate))
            {
                throw new TableSchemaMismatchException($"{cid} has another schema than {schemaFrom}: {ArrayEquality.SchemaDifference(schema, candidate)}; a Parquet file holds one schema");
            }
        }
    }

    /// <summary><paramref name="options"/> with the plan's <c>arrowcid.*</c> footer entries.</summary>
    public static ParquetWriteOptions WithMetadata(Plan plan, ParquetWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var pairs = new List<KeyValuePair<string, string>>(options.KeyValueMetadata)
        {
            new(CidsKey, WireJson.ToText<IReadOnlyList<string>>([.. plan.Chunks.Select(c => c.Cid.ToString())], WireJsonContext.Default.IReadOnlyListString)),
        };
        if (plan.Table is { } dataset)
        {
            pairs.Add(new(DatasetKey, dataset.ToString()));
        }

        return options with { KeyValueMetadata = pairs };
    }

    /// <summary>
    /// Writes the plan's chunks as a Parquet file on <paramref name="destination"/> (left open),
    /// each chunk re-hashed: a row group ends before a chunk that would take it over
    /// <paramref name="options"/>' row limit or the plan's byte limit (the writer itself splits a
    /// chunk longer than the row limit). <paramref name="advance"/> gets rows written.
    /// </summary>
    /// <exception cref="NotSupportedException">A column's type has no Parquet form.</exception>
    public static void Write(ContentRepository content, Plan plan, Stream destination, ParquetWriteOptions options, Action<double> advance)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(advance);
        using var writer = new ParquetWriter(destination, plan.Schema, options, leaveOpen: true);
        long groupRows = 0;
        long groupBytes = 0;
        foreach (var chunk in plan.Chunks)
        {
            if (groupRows > 0 && (groupRows + chunk.Rows > options.RowGroupSize || groupBytes + chunk.Bytes > plan.RowGroupBytes))
            {
                writer.EndRowGroup();
                (groupRows, groupBytes) = (0, 0);
            }

            var batch = content.OpenBatch(chunk.Cid);
            int length = batch.Length;
            writer.WriteOwned(batch);
            // The writer ends a row group itself at every RowGroupSize rows: what is left after that starts the next.
            groupRows = (groupRows + length) % options.RowGroupSize;
            groupBytes = groupRows == 0 ? 0 : groupBytes + chunk.Bytes;
            advance(length);
        }

        writer.Close();
    }
}

/// <summary>Tables asked for together (into one Parquet file) do not share one schema.</summary>
public sealed class TableSchemaMismatchException : Exception
{
    /// <inheritdoc />
    public TableSchemaMismatchException()
        : base("the tables have different schemas")
    {
    }

    /// <inheritdoc />
    public TableSchemaMismatchException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public TableSchemaMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
