using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Validation;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Record batches and datasets in a <see cref="LocalRepository"/>, by content: puts canonicalise,
/// name, store and register; reads open batches zero-copy over their mapped blocks (re-hashed by
/// default), stream datasets as one IPC stream, and move content in and out as CAR files. Blocks
/// are written before their registry rows and a dataset's manifest after its batches, so a crash
/// at any point leaves at most unregistered blocks. See docs/datasets.md.
/// </summary>
public sealed class ContentRepository : IDisposable
{
    private readonly bool _ownsRepository;
    private NameChain? _names;

    /// <summary>Works on an open repository, which the caller keeps and disposes.</summary>
    /// <param name="repository">The repository.</param>
    public ContentRepository(LocalRepository repository)
        : this(repository, ownsRepository: false)
    {
    }

    private ContentRepository(LocalRepository repository, bool ownsRepository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        Repository = repository;
        _ownsRepository = ownsRepository;
    }

    /// <summary>The underlying repository: registry queries, pins, GC, verify.</summary>
    public LocalRepository Repository { get; }

    /// <summary>The hash-linked, signed history of the repository's names (made on first use).</summary>
    public NameChain Names => LazyInitializer.EnsureInitialized(ref _names, () => new NameChain(this, Repository.Registry));

    /// <summary>
    /// Records a registered CID as the next version of a name (<see cref="LocalRepository.AddVersion"/>)
    /// and links it into the name's signed chain (<see cref="NameChain.Publish"/>).
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="cid">A registered table.</param>
    /// <returns>The version, with its node.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    /// <exception cref="BlockNotFoundException">The CID is not registered here.</exception>
    public NamedVersion AddVersion(string name, Cid cid) => Linked(Repository.AddVersion(name, cid));

    /// <summary>As <see cref="AddVersion"/>, unless the name's latest version already names <paramref name="cid"/> (<see cref="LocalRepository.AddVersionUnlessLatest"/>).</summary>
    /// <param name="name">The name.</param>
    /// <param name="cid">A registered table.</param>
    /// <returns>The version naming <paramref name="cid"/>, and whether this call added it.</returns>
    public (NamedVersion Version, bool Added) AddVersionUnlessLatest(string name, Cid cid)
    {
        var (version, added) = Repository.AddVersionUnlessLatest(name, cid);
        return (added ? Linked(version) : version, added);
    }

    private NamedVersion Linked(NamedVersion version) => version with { Node = Names.Publish(version).Cid };

    /// <summary>The repository's block reader (<see cref="LocalRepository.Reader"/>): every read of a block goes through it.</summary>
    public BlockReader Reader => Repository.Reader;

    /// <summary>Opens (creating if needed) the repository <see cref="LocalRepository.ResolvePath"/> chooses; disposing closes it.</summary>
    /// <param name="path">A path the user gave, or null for ARROWCID_REPO or ~/.arrowcid.</param>
    /// <param name="options">Repository settings; defaults when null.</param>
    /// <returns>The content repository.</returns>
    public static ContentRepository Open(string? path = null, LocalRepositoryOptions? options = null) =>
        new(LocalRepository.Open(path, options), ownsRepository: true);

    /// <summary>The CID and size <see cref="PutBatch(RecordBatch, PutOptions?)"/> would give, without storing anything.</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <returns>CID, rows and canonical length.</returns>
    public static StoredBatch ComputeCid(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var (cid, length) = CanonicalEncoder.ComputeCidAndLength(batch);
        return new StoredBatch(cid, batch.Length, length);
    }

    /// <summary>The CIDs <see cref="PutStream(Schema, IEnumerable{RecordBatch}, PutOptions?, IPutPublisher?)"/> would give, without storing anything.</summary>
    /// <param name="schema">The schema of every batch.</param>
    /// <param name="batches">The batches in order (not disposed; several are worked on at once, the source may dispose a batch once asked for the next, as a reader does: a leased batch is kept alive through its shared owner).</param>
    /// <returns>Each batch's CID and the dataset's.</returns>
    public static PutStreamResult ComputeCids(Schema schema, IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        // The same writer a put uses, storing nothing: the CIDs cannot drift apart.
        using var names = new TableWriter(content: null, schema, PutOptions.Default, publisher: null);
        return names.AddAllAndFinish(batches);
    }

    /// <summary>Like <see cref="ComputeCids(Schema, IEnumerable{RecordBatch})"/> over every batch of an IPC stream (each disposed after use).</summary>
    /// <param name="reader">The stream.</param>
    /// <returns>Each batch's CID and the dataset's.</returns>
    public static PutStreamResult ComputeCids(ArrowStreamReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ComputeCids(reader.Schema, DisposingEach(reader.ReadAll()));
    }

    /// <summary>
    /// Stores one batch: canonicalised, named, written durably, registered as a batch with its
    /// schema, rows and size. Putting a batch already present only merges the registration.
    /// </summary>
    /// <param name="batch">Any valid batch (not disposed).</param>
    /// <param name="options">Tags, producer, provenance, pin; defaults when null.</param>
    /// <returns>CID, rows and canonical length.</returns>
    /// <exception cref="ArgumentException">The options carry a <see cref="PutOptions.Name"/>: only a dataset put is named.</exception>
    public StoredBatch PutBatch(RecordBatch batch, PutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        options ??= PutOptions.Default;
        return options.Name is null
            ? Store(batch, batch.Schema.ToString(), options, guard: null)
            : throw new ArgumentException("a single batch put takes no name: put a stream (a dataset) or name the batch with LocalRepository.AddVersion", nameof(options));
    }

    /// <summary>
    /// Starts putting a dataset batch by batch (see <see cref="TableWriter"/>): add each batch as
    /// it arrives, then finish; dispose the writer in any case. The name, when given, is checked here,
    /// before anything is stored.
    /// </summary>
    /// <param name="schema">The schema of every batch (it alone names an empty dataset).</param>
    /// <param name="options">Tags, producer, provenance, pin, name; defaults when null.</param>
    /// <param name="publisher">Where each registration is announced and the name recorded; null for the repository alone.</param>
    /// <returns>The writer.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    public TableWriter CreateTableWriter(Schema schema, PutOptions? options = null, IPutPublisher? publisher = null) =>
        new(this, schema, options ?? PutOptions.Default, publisher);

    /// <summary>
    /// Stores a stream of batches as a chunked table through one <see cref="TableWriter"/>: the
    /// rows are cut into content-defined chunks as they arrive (only the rows since the last cut are
    /// held), each chunk stored as a batch, then the manifest tree linking them in order is stored,
    /// its root registered as a dataset and, when <see cref="PutOptions.Name"/> is set, recorded as
    /// that name's next version (a table of one chunk is that chunk's CID). Until the root is
    /// registered (and named) the new blocks are pinned, so a concurrent GC cannot remove them.
    /// </summary>
    /// <param name="schema">The schema of every batch (it alone names an empty dataset).</param>
    /// <param name="batches">The batches in order (not disposed; several are worked on at once, the source may dispose a batch once asked for the next, as a reader does: a leased batch is kept alive through its shared owner).</param>
    /// <param name="options">Tags, producer, provenance, pin; defaults when null.</param>
    /// <param name="publisher">Where what is stored is made known beyond the repository, and the name's version recorded (a node's registry and bucket); null: the repository's own registry.</param>
    /// <returns>Each chunk as stored, and the table.</returns>
    /// <exception cref="ArgumentException">A batch's schema differs from <paramref name="schema"/>.</exception>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules (checked before anything is stored).</exception>
    public PutStreamResult PutStream(Schema schema, IEnumerable<RecordBatch> batches, PutOptions? options = null, IPutPublisher? publisher = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        using var writer = CreateTableWriter(schema, options, publisher);
        return writer.AddAllAndFinish(batches);
    }

    /// <summary>Puts every batch of an IPC stream as a dataset (each batch disposed after it is stored).</summary>
    /// <param name="reader">The stream.</param>
    /// <param name="options">Tags, producer, provenance, pin; defaults when null.</param>
    /// <returns>Each batch as stored, and the dataset.</returns>
    public PutStreamResult PutStream(ArrowStreamReader reader, PutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return PutStream(reader.Schema, DisposingEach(reader.ReadAll()), options);
    }

    /// <summary>
    /// A stored batch, read zero-copy: its buffers are slices of the mapped block file, which stays
    /// mapped until the batch is disposed.
    /// </summary>
    /// <param name="cid">A batch CID (raw codec).</param>
    /// <param name="verify">Check the block against its CID (default true; see <see cref="BlockReader"/> for when that hashes it); false only to peek at it.</param>
    /// <param name="validation">How thoroughly the batch is checked.</param>
    /// <returns>The batch; dispose it to release the mapping.</returns>
    /// <exception cref="BlockNotFoundException">No such block.</exception>
    /// <exception cref="BlockCorruptedException">The block does not hash to its CID.</exception>
    /// <exception cref="ContentFormatException">The CID is not a batch's, or the block holds no single record batch.</exception>
    public RecordBatch OpenBatch(Cid cid, bool verify = true, ValidationLevel validation = ValidationLevel.Structural)
    {
        RequireCodec(cid, Multicodec.Raw, "a batch");
        using var block = Reader.Open(cid, verify);
        try
        {
            using var reader = new ArrowStreamReader(block.Memory, new IpcReadOptions { Validation = validation }, block.Lease);
            var batch = reader.ReadNext() ?? throw new ContentFormatException($"block {cid} holds no record batch");
            if (reader.ReadNext() is { } extra)
            {
                extra.Dispose();
                batch.Dispose();
                throw new ContentFormatException($"block {cid} holds more than one record batch");
            }

            return batch;
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"block {cid} is not a valid Arrow IPC stream: {e.Message}", e);
        }
    }

    /// <summary>The batches a CID names, in order: one for a one-chunk table, every chunk of a table (any manifest form), or every batch of an Arrow stream block. Each is zero-copy; dispose each.</summary>
    /// <param name="cid">A table (raw or dag-cbor) or Arrow stream CID.</param>
    /// <param name="verify">Check every block read against its CID (default true).</param>
    /// <returns>The batches, opened lazily.</returns>
    public IEnumerable<RecordBatch> ReadBatches(Cid cid, bool verify = true)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec == Multicodec.Raw)
        {
            return Repository.GetRecord(cid)?.Kind == BlockKind.ArrowStream ? ReadStreamBatches(cid, verify) : [OpenBatch(cid, verify)];
        }

        RequireComplete(cid);
        return OpenTable(cid).Chunks().Select(c => OpenBatch(c.Cid, verify));
    }

    /// <summary>
    /// Checks that every block of a table is here (its manifest nodes read, its chunks looked up), so
    /// that what is written or printed of it is the table, not its first part.
    /// </summary>
    /// <param name="table">A table CID.</param>
    /// <exception cref="IncompleteTableException">A manifest node or a chunk of the table is missing; names the first.</exception>
    /// <exception cref="BlockNotFoundException">The root itself is not here.</exception>
    public void RequireComplete(Cid table)
    {
        ArgumentNullException.ThrowIfNull(table);
        TableBlocks blocks;
        try
        {
            blocks = TableBlocks.Read(this, table);
        }
        catch (BlockNotFoundException e) when (e.Cid is { } missing && missing != table)
        {
            throw new IncompleteTableException(table, missing);
        }

        if (blocks.Blocks.FirstOrDefault(b => !Repository.Blocks.Has(b.Cid)) is { } hole)
        {
            throw new IncompleteTableException(table, hole.Cid);
        }
    }

    /// <summary>Whether a DAG-CBOR CID roots a table: a dataset, or a manifest an import kept as a plain block because its table was incomplete then.</summary>
    internal bool IsTableRoot(Cid cid) => IsManifest(cid) || IsStrandedManifest(cid);

    // A table root an import kept as a plain DAG-CBOR block because its table was incomplete then:
    // registered as foreign, but a manifest by its bytes; read as the table it names, or refused
    // naming what it lacks, never written out as the manifest's bytes.
    private bool IsStrandedManifest(Cid cid) =>
        cid.Codec == Multicodec.DagCbor
        && Repository.GetRecord(cid)?.Kind == BlockKind.Foreign
        && Repository.Blocks.Has(cid)
        && BlockClassifier.Describe(cid, GetBytes(cid)).Kind == BlockKind.Dataset;

    // Every batch of a stored Arrow stream that is not canonical (kept as imported), zero-copy over its mapping.
    private IEnumerable<RecordBatch> ReadStreamBatches(Cid cid, bool verify)
    {
        using var block = Reader.Open(cid, verify);
        using var reader = OpenStream(cid, block);
        while (true)
        {
            RecordBatch? batch;
            try
            {
                batch = reader.ReadNext();
            }
            catch (ArrowFormatException e)
            {
                throw new ContentFormatException($"block {cid} is not a valid Arrow IPC stream: {e.Message}", e);
            }

            if (batch is null)
            {
                yield break;
            }

            yield return batch;
        }
    }

    private static ArrowStreamReader OpenStream(Cid cid, LeasedBlock block)
    {
        try
        {
            return new ArrowStreamReader(block.Memory, new IpcReadOptions { Validation = ValidationLevel.Structural }, block.Lease);
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"block {cid} is not a valid Arrow IPC stream: {e.Message}", e);
        }
    }

    /// <summary>
    /// Whether a CID names a table by a manifest (a dataset): a DAG-CBOR block registered as a
    /// dataset (a version-1 manifest or a version-2 tree root), or not registered at all (imported
    /// without its table's blocks, or not here: opening it then says what it is). A node below a
    /// tree's root (<see cref="BlockKind.TableNode"/>) and DAG-CBOR of another shape
    /// (<see cref="BlockKind.Foreign"/>) are not. A table of one chunk is named by that chunk's raw
    /// CID, so it is a table (<see cref="OpenTable"/> opens it) but not a dataset.
    /// </summary>
    /// <param name="cid">Any CID.</param>
    /// <returns>True for a dataset CID (registered or not yet).</returns>
    public bool IsManifest(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return cid.Codec == Multicodec.DagCbor && Repository.GetRecord(cid)?.Kind is null or BlockKind.Dataset;
    }

    /// <summary>
    /// A stored table by its CID, whatever its form: one chunk (a raw canonical block), a
    /// version-1 dataset manifest or a version-2 manifest tree. Schema and totals come from the
    /// root; <see cref="TableManifest.Chunks"/> walks the tree lazily, every node read through the
    /// <see cref="Reader"/> and checked against its CID, its parent's entry and the format.
    /// </summary>
    /// <param name="cid">A table CID (raw or dag-cbor).</param>
    /// <returns>The table.</returns>
    /// <exception cref="BlockNotFoundException">The root (or, while walking, a node) is missing.</exception>
    /// <exception cref="BlockCorruptedException">A block read does not hash to its CID.</exception>
    /// <exception cref="ContentFormatException">Not a table, or a malformed node.</exception>
    public TableManifest OpenTable(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        // TableManifest checks every block against its CID itself; the reader checks first only as the
        // repository's VerifyOnRead says, so a damaged file still reads as BlockCorruptedException.
        return TableManifest.Open(cid, ReadTableBlock).LimitChunks(MaxTableChunks);
    }

    /// <summary>
    /// The most chunks a walk of a table this repository opens may report (<see cref="TableManifest.LimitChunks"/>);
    /// unbounded unless a node serving it sets its <c>max_table_chunks</c>.
    /// </summary>
    public long MaxTableChunks { get; set; } = long.MaxValue;

    /// <summary>A copy of a block's bytes, checked against its CID.</summary>
    /// <param name="cid">Any stored CID.</param>
    /// <returns>The content.</returns>
    /// <exception cref="BlockNotFoundException">No such block.</exception>
    /// <exception cref="BlockCorruptedException">The block does not hash to its CID.</exception>
    public ReadOnlyMemory<byte> GetBytes(Cid cid)
    {
        using var block = Reader.Open(cid);
        return block.Memory.ToArray();
    }

    /// <summary>
    /// Writes what a CID names: a batch's exact canonical bytes, or a dataset as one Arrow IPC
    /// stream — its schema once, each batch's dictionaries and record batch in order, and the
    /// end-of-stream marker — or any other block (an Arrow stream or a foreign block) byte for byte
    /// as stored. Every block is checked against its CID before any of it is written.
    /// </summary>
    /// <param name="cid">Any stored CID.</param>
    /// <param name="destination">Where the stream goes (left open).</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="BlockNotFoundException">A block is missing.</exception>
    /// <exception cref="BlockCorruptedException">A block does not hash to its CID.</exception>
    public long WriteTable(Cid cid, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(destination);
        if (!IsTableRoot(cid))
        {
            using var block = Reader.Open(cid);
            destination.Write(block.Memory.Span);
            return block.Memory.Length;
        }

        // Every block is known to be here before a byte is written: a table with a hole is refused whole.
        RequireComplete(cid);
        var table = OpenTable(cid);
        var sink = new IpcStreamSink(destination, synchronous: true);
        TableStreamWriter.Write(table.Schema, ChunkBlocks.Read(Reader, table.Chunks()), sink);
        return sink.Written;
    }

    /// <summary>
    /// Writes a CAR (v1, or v2 with an index) whose roots are <paramref name="roots"/>: each root's
    /// blocks depth first (<see cref="CarBlockOrder.DepthFirst"/>: a manifest node, then what it
    /// links in row order); for a foreign DAG node, the
    /// blocks it links (transitively) as far as the repository holds them; each block once. Every
    /// block is checked against its CID as it is written.
    /// </summary>
    /// <param name="roots">Any stored CIDs.</param>
    /// <param name="destination">Where the CAR goes (left open; seekable for v2).</param>
    /// <param name="v2">Write a CARv2 with a multihash index.</param>
    /// <param name="exclude">Blocks to leave out (the roots stay the CAR's roots): e.g. the <see cref="TableBlocks"/> of a base version the reader holds.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="BlockNotFoundException">A block is missing.</exception>
    /// <exception cref="BlockCorruptedException">A block does not hash to its CID.</exception>
    public CarExportReport ExportCar(IEnumerable<Cid> roots, Stream destination, bool v2 = false, IReadOnlySet<Cid>? exclude = null) =>
        CarExport.Write(this, roots, destination, v2, exclude);

    /// <summary>
    /// Reads a CAR (v1 or v2) block by block, every hash checked, and stores every block whose hash
    /// verifies: raw blocks that are canonical Arrow batches are registered as batches; DAG-CBOR
    /// table roots (version-1 manifests, version-2 tree roots) as datasets once every node and chunk
    /// of their table is present, the tree's nodes as table nodes; Arrow IPC
    /// streams that are not canonical are kept as they are and described (<see cref="BlockKind.ArrowStream"/>);
    /// anything else — other raw bytes, DAG-CBOR of another shape or a table root whose nodes or
    /// chunks are missing, dag-pb, any codec — is kept as a <see cref="BlockKind.Foreign"/> block with its
    /// links. With <paramref name="strict"/> only batches and complete tables are taken and
    /// everything else is refused (reported, not stored). A block whose hash function cannot be
    /// verified is refused either way. The CAR's roots are pinned.
    /// </summary>
    /// <param name="source">The CAR (left open).</param>
    /// <param name="options">Tags, producer, provenance for what is registered; roots are pinned when <see cref="PutOptions.Pin"/>.</param>
    /// <param name="strict">Take only canonical batches and dataset manifests whose batches are present.</param>
    /// <param name="publisher">Where what is stored is made known beyond the repository, as a put's blocks are (a node's bucket and shared registry); null: the repository's own registry.</param>
    /// <returns>What was taken, as what, and what was refused.</returns>
    /// <exception cref="ContentFormatException">The CAR itself is malformed or a block does not hash to its CID.</exception>
    public CarImportReport ImportCar(Stream source, PutOptions? options = null, bool strict = false, IPutPublisher? publisher = null) =>
        CarImport.Read(this, source, options ?? PutOptions.Default, strict, publisher);

    /// <summary>Closes the repository when this instance opened it.</summary>
    public void Dispose()
    {
        _names?.Dispose();
        if (_ownsRepository)
        {
            Repository.Dispose();
        }
    }

    /// <summary>
    /// Stores one batch: normalised and encoded once, straight into its block file through SHA-256
    /// (the CID is whatever was written), then registered under the same hold of the repository
    /// lock; with a guard, pinned for it.
    /// </summary>
    internal StoredBatch Store(RecordBatch batch, string schemaText, PutOptions options, PinGuard? guard)
    {
        var record = Repository.PutBatchBlock(destination => CanonicalEncoder.Encode(batch, destination), schemaText, batch.Length, options, guard);
        return new StoredBatch(record.Cid, batch.Length, record.Bytes);
    }

    // One block of a table (a chunk when the table is one, else a manifest node), copied: at most 1 MiB
    // for what a put writes (a version-1 manifest or a batch put before chunking may be larger).
    private ReadOnlyMemory<byte> ReadTableBlock(Cid cid)
    {
        using var block = Reader.Open(cid, verify: Repository.Blocks.VerifyOnRead);
        return block.Memory.ToArray();
    }

    private static void RequireCodec(Cid cid, ulong codec, string what)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec != codec)
        {
            throw new ContentFormatException($"{cid} is {Multicodec.NameOf(cid.Codec)}, not {what} ({Multicodec.NameOf(codec)})");
        }
    }

    private static IEnumerable<RecordBatch> DisposingEach(IEnumerable<RecordBatch> batches)
    {
        foreach (var batch in batches)
        {
            using (batch)
            {
                yield return batch;
            }
        }
    }
}
