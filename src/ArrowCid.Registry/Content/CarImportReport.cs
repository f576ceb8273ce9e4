using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry.ContentAccess;

/// <summary>A block <see cref="ContentRepository.ImportCar"/> did not take, and why.</summary>
/// <param name="Cid">The block's CID.</param>
/// <param name="Reason">Why it was refused.</param>
public sealed record RefusedBlock(Cid Cid, string Reason);

/// <summary>What <see cref="ContentRepository.ImportCar"/> read and registered.</summary>
public sealed record CarImportReport
{
    /// <summary>The CAR's roots.</summary>
    public IReadOnlyList<Cid> Roots { get; init; } = [];

    /// <summary>Blocks read (each hash-checked), duplicates included.</summary>
    public int BlocksRead { get; init; }

    /// <summary>Canonical Arrow batches stored and registered, in CAR order.</summary>
    public IReadOnlyList<Cid> Batches { get; init; } = [];

    /// <summary>Dataset manifests stored and registered (after their batches).</summary>
    public IReadOnlyList<Cid> Datasets { get; init; } = [];

    /// <summary>Blocks not stored: not canonical Arrow, not a dataset manifest, or a manifest whose batches are missing.</summary>
    public IReadOnlyList<RefusedBlock> Refused { get; init; } = [];

    /// <summary>Roots that were neither in the CAR nor already in the repository.</summary>
    public IReadOnlyList<Cid> MissingRoots { get; init; } = [];

    /// <summary>Everything in the CAR was taken and every root is present.</summary>
    public bool IsComplete => Refused.Count == 0 && MissingRoots.Count == 0;
}

/// <summary>What <see cref="ContentRepository.ExportCar"/> wrote.</summary>
/// <param name="Roots">The roots, as requested.</param>
/// <param name="Blocks">Distinct blocks written.</param>
/// <param name="Bytes">Bytes written to the output.</param>
public sealed record CarExportReport(IReadOnlyList<Cid> Roots, int Blocks, long Bytes);
