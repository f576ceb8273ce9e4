using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Parquet.Writing;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Export;

/// <summary>
/// Exports repository content by CID as one Parquet file: every batch of every CID given (a
/// dataset stands for its batches), opened zero-copy one at a time and released as soon as its
/// rows are written, so memory stays bounded by one batch (at most one row group). Each batch
/// starts a row group (split at the row group size), so importing the file gives back the same
/// batches, hence the same CIDs. The footer carries <c>arrowcid.cids</c> (JSON array of the batch
/// CIDs in order) and, when a single dataset is exported, <c>arrowcid.dataset</c>. It lives in the
/// CLI because it joins the repository (Registry) and the writer (Parquet), which do not know each other.
/// </summary>
internal static class ParquetCidExport
{
    /// <summary>Footer key of the JSON array of batch CIDs.</summary>
    public const string CidsKey = "arrowcid.cids";

    /// <summary>Footer key of the dataset manifest CID.</summary>
    public const string DatasetKey = "arrowcid.dataset";

    /// <summary>What an export will write: the one schema, the batches in order, the dataset when there is one.</summary>
    public sealed record Plan(Schema Schema, IReadOnlyList<Cid> Batches, Cid? Dataset, long Rows);

    /// <summary>Resolves <paramref name="cids"/> to batches and checks they share one schema, before anything is written.</summary>
    public static Plan Resolve(ContentRepository content, IReadOnlyList<Cid> cids)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(cids);
        Schema? schema = null;
        Cid? schemaFrom = null;
        var batches = new List<Cid>();
        long rows = 0;
        foreach (var cid in cids)
        {
            if (cid.Codec == Multicodec.DagCbor)
            {
                var manifest = content.GetDataset(cid);
                Check(manifest.Schema, cid);
                batches.AddRange(manifest.Batches.Select(b => b.Cid));
                rows += manifest.Rows;
                continue;
            }

            // Only the schema and length are read here; the bytes are re-hashed when exported.
            using var batch = content.OpenBatch(cid, verify: false);
            Check(batch.Schema, cid);
            batches.Add(cid);
            rows += batch.Length;
        }

        var dataset = cids.Count == 1 && cids[0].Codec == Multicodec.DagCbor ? cids[0] : null;
        return new Plan(schema!, batches, dataset, rows);

        void Check(Schema candidate, Cid cid)
        {
            if (schema is null)
            {
                (schema, schemaFrom) = (candidate, cid);
            }
            else if (!schema.Equals(candidate))
            {
                throw new CliException($"{cid} has another schema than {schemaFrom}: {ArrayEquality.SchemaDifference(schema, candidate)}; a Parquet file holds one schema");
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
            new(CidsKey, JsonSerializer.Serialize(plan.Batches.Select(c => c.ToString()).ToArray())),
        };
        if (plan.Dataset is { } dataset)
        {
            pairs.Add(new(DatasetKey, dataset.ToString()));
        }

        return options with { KeyValueMetadata = pairs };
    }

    /// <summary>Writes the plan's batches through <paramref name="writer"/>, each re-hashed, then closes it; <paramref name="advance"/> gets rows written.</summary>
    public static void Write(ContentRepository content, Plan plan, ParquetWriter writer, Action<double> advance)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(advance);
        foreach (var cid in plan.Batches)
        {
            var batch = content.OpenBatch(cid);
            int length = batch.Length;
            writer.WriteOwned(batch);
            writer.EndRowGroup();
            advance(length);
        }

        writer.Close();
    }
}
