using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Puts one dataset incrementally: each <see cref="Add"/> canonicalises a batch, encodes it once
/// straight into its block file through SHA-256, and registers it before returning, so only one
/// batch need be in memory and an added batch is durable; <see cref="Finish"/> stores the manifest
/// linking the batches in order (after them), registers it as a dataset and, with
/// <see cref="PutOptions.Name"/>, records it as that name's next version. This is the one way a
/// dataset is put: <see cref="ContentRepository.PutStream(Schema, IEnumerable{RecordBatch}, PutOptions?)"/>,
/// Flight's DoPut and the CLI's <c>put</c> all go through it.
/// </summary>
/// <remarks>
/// One pin policy (<see cref="PinGuard"/>): while the writer is open, every block it stored is
/// pinned, so a concurrent garbage collection cannot remove it before the manifest that keeps it
/// exists; <see cref="Finish"/> then leaves the decision to the dataset's own pin
/// (<see cref="PutOptions.Pin"/>) or name, and <see cref="Dispose"/> without <see cref="Finish"/>
/// leaves the stored batches registered but unpinned (unless pinned before), for GC to collect.
/// Not thread-safe: one writer per put.
/// </remarks>
public sealed class DatasetWriter : IDisposable
{
    private readonly ContentRepository? _content;
    private readonly IPutPublisher? _publisher;
    private readonly PinGuard? _guard;
    private readonly byte[] _schemaMessage;
    private readonly string _schemaText;
    private readonly List<StoredBatch> _batches = [];
    private bool _closed;

    /// <summary>A writer into <paramref name="content"/>, or, when it is null, one that only names (stores nothing).</summary>
    internal DatasetWriter(ContentRepository? content, Schema schema, PutOptions options, IPutPublisher? publisher)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Name is not null)
        {
            // Checked before anything is stored.
            DatasetName.Validate(options.Name);
        }

        _content = content;
        _publisher = publisher;
        _guard = content is null ? null : new PinGuard(content.Repository);
        _schemaMessage = DatasetSchemaMessage.Encode(schema);
        _schemaText = schema.ToString();
        Schema = schema;
        Options = options;
    }

    /// <summary>The schema every batch must have exactly (its Schema message is the manifest's).</summary>
    public Schema Schema { get; }

    /// <summary>How the batches and the dataset are registered.</summary>
    public PutOptions Options { get; }

    /// <summary>The batches added so far, in order.</summary>
    public IReadOnlyList<StoredBatch> Batches => _batches;

    /// <summary>
    /// Stores the next batch: canonicalised, encoded once into its block file (hashed as written),
    /// made durable and registered (pinned while the writer is open) before this returns.
    /// </summary>
    /// <param name="batch">A batch of <see cref="Schema"/> (not disposed).</param>
    /// <returns>Its CID, rows and canonical length.</returns>
    /// <exception cref="ArgumentException">The batch's schema differs from the dataset's; nothing was stored.</exception>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public StoredBatch Add(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfClosed();
        // Every block of the dataset starts with the manifest's Schema message, so batches must share the schema exactly.
        if (!ReferenceEquals(batch.Schema, Schema) && !DatasetSchemaMessage.Encode(batch.Schema).AsSpan().SequenceEqual(_schemaMessage))
        {
            throw new ArgumentException($"batch {_batches.Count} has a schema different from the dataset's", nameof(batch));
        }

        StoredBatch stored;
        if (_content is null)
        {
            stored = ContentRepository.ComputeCid(batch);
        }
        else
        {
            stored = _content.Store(batch, ReferenceEquals(batch.Schema, Schema) ? _schemaText : batch.Schema.ToString(), Options, _guard);
            _publisher?.Registered(stored.Cid);
        }

        _batches.Add(stored);
        return stored;
    }

    /// <summary>
    /// Stores the manifest linking every added batch in order (hashed once, as it is encoded),
    /// registers it as a dataset (pinned per <see cref="PutOptions.Pin"/>), records it as the next
    /// version of <see cref="PutOptions.Name"/> when one is set, then releases the writer's pins:
    /// from here the dataset's pin or name keeps the batches. With no batch added the dataset is
    /// its schema alone.
    /// </summary>
    /// <returns>Each batch as stored, the dataset and, when named, its version.</returns>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public PutStreamResult Finish()
    {
        ThrowIfClosed();
        _closed = true;
        try
        {
            var manifest = DatasetManifest.Create(Schema, _batches.Select(b => new DatasetBatch(b.Cid, b.Rows, b.Bytes)));
            var block = manifest.EncodeHashed();
            var result = new PutStreamResult(
                _batches.ToArray(),
                new DatasetResult(block.Cid, manifest.Rows, manifest.Batches.Count, manifest.Bytes, block.Bytes.Length));
            if (_content is null)
            {
                return result;
            }

            // An unpinned dataset being named is held pinned until its version keeps it instead.
            var guard = Options.Name is not null && !Options.Pin ? _guard : null;
            _content.Repository.PutBlock(block, DatasetRecord(block.Cid, manifest, Options, Options.Pin), guard);
            _publisher?.Registered(block.Cid);
            var version = Options.Name is not { } name ? null
                : _publisher is null ? _content.Repository.AddVersion(name, block.Cid)
                : _publisher.AddVersion(name, block.Cid);
            return result with { Version = version };
        }
        finally
        {
            _guard?.Release();
        }
    }

    /// <summary>Without <see cref="Finish"/>: releases the writer's pins, so the batches it stored stay registered but GC may collect them (unless pinned otherwise). After it: nothing.</summary>
    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            _guard?.Release();
        }
    }

    /// <summary>The registry record of a dataset manifest: what a put and a CAR import register alike (links come from the manifest block).</summary>
    internal static BlockRecord DatasetRecord(Cid cid, DatasetManifest manifest, PutOptions options, bool pinned) => new()
    {
        Cid = cid,
        Kind = BlockKind.Dataset,
        Schema = manifest.Schema.ToString(),
        Rows = manifest.Rows,
        Tags = options.Tags,
        Producer = options.Producer,
        Provenance = options.Provenance,
        Pinned = pinned,
    };

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new InvalidOperationException("the dataset writer is finished or disposed");
        }
    }
}
