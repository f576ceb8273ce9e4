using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>How content is registered by <see cref="ContentRepository"/> puts and imports.</summary>
public sealed record PutOptions
{
    /// <summary>Defaults: pinned, no tags, no producer or provenance.</summary>
    public static PutOptions Default { get; } = new();

    /// <summary>Labels given to every block the put registers (batches and the dataset).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Who produced the content (a program, host or user name).</summary>
    public string? Producer { get; init; }

    /// <summary>Where the content came from (a file, a query, an upstream CID).</summary>
    public string? Provenance { get; init; }

    /// <summary>
    /// Pin what is put (default true): a single batch, or a dataset, whose pin keeps its batches.
    /// Without a pin the next <see cref="LocalRepository.Gc"/> removes the content.
    /// </summary>
    public bool Pin { get; init; } = true;

    /// <summary>
    /// When set, the dataset a <see cref="ContentRepository.PutStream(ArrowCid.Arrow.Types.Schema, IEnumerable{ArrowCid.Arrow.Arrays.RecordBatch}, PutOptions?, IPutPublisher?)"/>
    /// stores becomes the next version of this name (see <see cref="DatasetName"/>); a named dataset
    /// is kept by garbage collection whether pinned or not. Single-batch puts take no name.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>
    /// With <see cref="Name"/>: record a new version even when the name's latest version already
    /// names the same table. Without it (the default) re-putting unchanged content under a name adds
    /// no version, as <c>flight pull</c> does: the result carries the latest version, not new.
    /// </summary>
    public bool ForceVersion { get; init; }

    /// <summary>
    /// The most bytes of chunks (canonical blocks, decoded) a table put may store; one chunk more
    /// refuses the put (an <see cref="Arrow.ArrowFormatException"/> naming the limit) and the writer
    /// releases what it stored. Null: no limit. A node sets its <c>max_decompressed_bytes_per_request</c>:
    /// an upload's size on the wire says little of what it decodes to (a 1 MiB dictionary value
    /// named by every row is stored again in every chunk).
    /// </summary>
    public long? MaxTableBytes { get; init; }
}
