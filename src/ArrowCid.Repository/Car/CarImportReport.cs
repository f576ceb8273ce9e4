using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>A block <see cref="ContentRepository.ImportCar"/> did not take, and why.</summary>
/// <param name="Cid">The block's CID.</param>
/// <param name="Reason">Why it was refused.</param>
public sealed record RefusedBlock(Cid Cid, string Reason);

/// <summary>A block refused because its CID names a hash function that cannot be verified here.</summary>
/// <param name="Cid">The CID as text (it has no <see cref="ArrowCid.Content.Multiformats.Cid"/> form, which holds only verifiable hashes).</param>
/// <param name="HashFunction">The hash function's name (or code in hex).</param>
/// <param name="Reason">The typed error's message.</param>
public sealed record UnverifiableBlock(string Cid, string HashFunction, string Reason);

/// <summary>What an imported block was taken as (the report counts each).</summary>
public enum ImportedBlockKind
{
    /// <summary>A canonical Arrow batch, registered as a batch.</summary>
    Batch,

    /// <summary>A table's manifest root (a version-1 manifest or a version-2 tree root) whose nodes and chunks are present, registered as a dataset.</summary>
    Dataset,

    /// <summary>An Arrow IPC stream that is not canonical, kept as it is and described (<see cref="BlockKind.ArrowStream"/>).</summary>
    ArrowStream,

    /// <summary>Any other raw block (<see cref="BlockKind.Foreign"/>).</summary>
    Raw,

    /// <summary>DAG-CBOR that is not a table manifest, or a table root whose nodes or chunks are missing (<see cref="BlockKind.Foreign"/>).</summary>
    DagCbor,

    /// <summary>A dag-pb node (<see cref="BlockKind.Foreign"/>).</summary>
    DagPb,

    /// <summary>A block of any other codec (<see cref="BlockKind.Foreign"/>).</summary>
    Other,

    /// <summary>A manifest tree node below a table's root (<see cref="BlockKind.TableNode"/>).</summary>
    TableNode,
}

/// <summary>One block an import stored.</summary>
/// <param name="Cid">The block's CID.</param>
/// <param name="Kind">What it was taken as.</param>
/// <param name="Bytes">Its length.</param>
public sealed record ImportedBlock(Cid Cid, ImportedBlockKind Kind, long Bytes)
{
    /// <summary>Rows of a batch, a dataset or an Arrow stream.</summary>
    public long Rows { get; init; }

    /// <summary>The Arrow schema of a batch, a dataset or an Arrow stream, as text.</summary>
    public string? Schema { get; init; }

    /// <summary>How many blocks a foreign DAG node links (kept by GC while it is kept).</summary>
    public int Links { get; init; }

    /// <summary>For an Arrow stream, the CIDs <c>put</c> and <c>cid</c> give its rows (its canonical form); null when it cannot be re-encoded.</summary>
    public PutStreamResult? Canonical { get; init; }

    /// <summary>Why the block is not a canonical batch or a dataset (what <c>--strict</c> would refuse it for).</summary>
    public string? Note { get; init; }

    /// <summary>The kind's name in text and JSON: batch, dataset, table-node, arrow-stream, raw, dag-cbor, dag-pb, other.</summary>
    public static string NameOf(ImportedBlockKind kind) => kind switch
    {
        ImportedBlockKind.Batch => "batch",
        ImportedBlockKind.Dataset => "table",
        ImportedBlockKind.TableNode => "table-node",
        ImportedBlockKind.ArrowStream => "arrow-stream",
        ImportedBlockKind.Raw => "raw",
        ImportedBlockKind.DagCbor => "dag-cbor",
        ImportedBlockKind.DagPb => "dag-pb",
        _ => "other",
    };
}

/// <summary>A table root a CAR brought without every block of its table (a delta imported without its base, say).</summary>
/// <param name="Root">The table's root.</param>
/// <param name="Missing">The first block of the table that is neither in the CAR nor here, when one was found (null for a malformed tree).</param>
/// <param name="Reason">What is wrong, in words.</param>
public sealed record IncompleteTable(Cid Root, Cid? Missing, string Reason);

/// <summary>What <see cref="ContentRepository.ImportCar"/> read, stored and registered.</summary>
public sealed record CarImportReport
{
    /// <summary>The CAR's roots.</summary>
    public IReadOnlyList<Cid> Roots { get; init; } = [];

    /// <summary>Blocks read (each hash-checked), duplicates and refused ones included.</summary>
    public int BlocksRead { get; init; }

    /// <summary>Whether the import took only canonical batches and dataset manifests.</summary>
    public bool Strict { get; init; }

    /// <summary>Every block stored, in CAR order, table manifests last (each root after its nodes; they wait for their chunks).</summary>
    public IReadOnlyList<ImportedBlock> Blocks { get; init; } = [];

    /// <summary>Canonical Arrow batches stored and registered, in CAR order.</summary>
    public IReadOnlyList<Cid> Batches { get; init; } = [];

    /// <summary>Table roots stored and registered as datasets (after their nodes and chunks).</summary>
    public IReadOnlyList<Cid> Datasets { get; init; } = [];

    /// <summary>
    /// Blocks not stored: with <see cref="Strict"/>, anything not a canonical batch, a table root
    /// whose nodes and chunks are present or a node such a table links; never otherwise.
    /// </summary>
    public IReadOnlyList<RefusedBlock> Refused { get; init; } = [];

    /// <summary>Blocks refused whatever the mode: their hash function cannot be verified.</summary>
    public IReadOnlyList<UnverifiableBlock> Unverifiable { get; init; } = [];

    /// <summary>Roots that were neither in the CAR nor already in the repository.</summary>
    public IReadOnlyList<Cid> MissingRoots { get; init; } = [];

    /// <summary>
    /// Table roots whose tables are not complete here: their blocks were kept (the root as a plain
    /// DAG-CBOR block, not a table, so nothing reads it as one), and importing what they lack, then
    /// the CAR again, registers the table. With <c>strict</c> the roots are refused instead.
    /// </summary>
    public IReadOnlyList<IncompleteTable> Incomplete { get; init; } = [];

    /// <summary>Blocks refused, of either list.</summary>
    public int RefusedCount => Refused.Count + Unverifiable.Count;

    /// <summary>Everything in the CAR was taken and every root is present.</summary>
    public bool IsComplete => RefusedCount == 0 && MissingRoots.Count == 0 && Incomplete.Count == 0;

    /// <summary>How many stored blocks were taken as <paramref name="kind"/>.</summary>
    public int CountOf(ImportedBlockKind kind) => Blocks.Count(b => b.Kind == kind);
}

/// <summary>What <see cref="ContentRepository.ExportCar"/> wrote.</summary>
/// <param name="Roots">The roots, as requested.</param>
/// <param name="Blocks">Distinct blocks written.</param>
/// <param name="Bytes">Bytes written to the output.</param>
public sealed record CarExportReport(IReadOnlyList<Cid> Roots, int Blocks, long Bytes);
