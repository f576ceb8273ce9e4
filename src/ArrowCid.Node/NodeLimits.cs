using System.Globalization;
using System.Text;


namespace ArrowCid.Node;

/// <summary>
/// The bounds a node puts on what one request may make it hold or do, in one place for every face
/// (Flight, HTTP) and documented with their defaults in docs/security.md. A request over one is
/// refused before anything is stored, with a <see cref="NodeLimitException"/> naming the limit
/// (INVALID_ARGUMENT over Flight, 400 or 413 over HTTP).
/// </summary>
public sealed record NodeLimits
{
    /// <summary>The defaults.</summary>
    public static NodeLimits Default { get; } = new();

    /// <summary>Tags on one put or one table (<c>max_tags</c>). Default 64.</summary>
    public int MaxTags { get; init; } = 64;

    /// <summary>UTF-8 bytes of one tag key (<c>max_tag_key_bytes</c>). Default 128.</summary>
    public int MaxTagKeyBytes { get; init; } = 128;

    /// <summary>UTF-8 bytes of one tag value (<c>max_tag_value_bytes</c>). Default 1,024.</summary>
    public int MaxTagValueBytes { get; init; } = 1024;

    /// <summary>
    /// Bytes the compressed buffers of one uploaded IPC message may decompress to
    /// (<c>max_decompressed_bytes_per_message</c>); a message claiming more is refused before
    /// anything is allocated for it. Default 64 MiB, the size of the largest uncompressed message
    /// a node accepts.
    /// </summary>
    public long MaxDecompressedBytesPerMessage { get; init; } = 64L << 20;

    /// <summary>Bytes all messages of one upload may decompress to (<c>max_decompressed_bytes_per_request</c>). Default 16 GiB.</summary>
    public long MaxDecompressedBytesPerRequest { get; init; } = 16L << 30;

    /// <summary>
    /// Decoded bytes the reader of one uploaded Parquet file may hold at once (<c>max_parquet_bytes_held</c>):
    /// its pages decompressed and the levels and values decoded from them, not yet handed to the
    /// writer. A page is counted at the size its header claims before it is decompressed, so a
    /// small page claiming gigabytes is refused before anything is allocated for it. Default 128 MiB:
    /// a batch aims at 32 MiB, which leaves room for a page of 1 MiB (the common writers' size) in
    /// each of some 90 columns; wider files with large pages need more.
    /// </summary>
    public long MaxParquetBytesHeld { get; init; } = 128L << 20;

    /// <summary>Subscribers of the change feed at once, Flight and HTTP together (<c>max_subscribers</c>). Default 1,000.</summary>
    public int MaxSubscribers { get; init; } = 1_000;

    /// <summary>Subscribers of one token at once, or of one address on an open node (<c>max_subscribers_per_token</c>). Default 100.</summary>
    public int MaxSubscribersPerToken { get; init; } = 100;

    /// <summary>
    /// Characters of one record of an uploaded CSV, the header included (<c>max_csv_record_chars</c>);
    /// a longer record, or an endless one, is refused once it passes this, which bounds what the
    /// parser holds for it (its text and its fields' positions). Default 4 Mi characters.
    /// </summary>
    public int MaxCsvRecordChars { get; init; } = 4 << 20;

    /// <summary>Fields in one record of an uploaded CSV (<c>max_csv_fields</c>). Default 100,000.</summary>
    public int MaxCsvFields { get; init; } = 100_000;

    /// <summary>
    /// Chunks one request may walk in a table's tree, in row order (<c>max_table_chunks</c>): a
    /// description, a read, a FlightInfo. A tree may link one node thousands of times, so a CAR of
    /// a few hundred kilobytes can describe billions of chunks; past this the request is refused.
    /// Default 262,144: a table of 64 GiB at the chunking target, whose chunk list as the gateway
    /// describes it takes about 65 MB.
    /// </summary>
    public long MaxTableChunks { get; init; } = 1L << 18;

    /// <summary>
    /// Memory DuckDB may use for one SQL query (<c>sql_memory_bytes</c>); a query that needs more is
    /// refused with RESOURCE_EXHAUSTED. Default 4 GiB: with <see cref="SqlQueries"/> at 2, queries
    /// take at most a third of a 24 GiB node.
    /// </summary>
    public long SqlMemoryBytes { get; init; } = 4L << 30;

    /// <summary>How long one SQL query may run (<c>sql_timeout</c>), waiting for its turn included; past it the query is stopped with RESOURCE_EXHAUSTED. Default 5 minutes.</summary>
    public TimeSpan SqlTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Rows one SQL answer may have (<c>sql_max_rows</c>). Over Flight SQL a larger answer is refused
    /// with RESOURCE_EXHAUSTED (a client reading it would take it for the whole answer); over HTTP
    /// the answer stops there and says so. Default 10,000,000.
    /// </summary>
    public long SqlMaxRows { get; init; } = 10_000_000;

    /// <summary>SQL queries running at once on the node (<c>sql_queries</c>); more wait for a turn within their timeout. Default 2, one a core of the machine the node is built for.</summary>
    public int SqlQueries { get; init; } = 2;

    /// <summary>How an upload's Arrow IPC is read under these limits.</summary>
    public Arrow.Ipc.IpcReadOptions UploadReadOptions() => new()
    {
        MaxDecompressedBytesPerMessage = MaxDecompressedBytesPerMessage,
        MaxDecompressedBytesPerReader = MaxDecompressedBytesPerRequest,
    };

    /// <summary>How an uploaded Parquet file is read under these limits (everything it decodes counts against <see cref="MaxDecompressedBytesPerRequest"/>).</summary>
    public Parquet.Reading.ParquetReadOptions UploadParquetOptions() => new()
    {
        MaxDecodedBytesHeld = MaxParquetBytesHeld,
        MaxDecodedBytesPerReader = MaxDecompressedBytesPerRequest,
    };

    /// <summary>Refuses tags over the limits: too many, a key or value too long, or an empty key.</summary>
    /// <exception cref="NodeLimitException">The first limit they pass.</exception>
    public void CheckTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return;
        }

        if (tags.Count > MaxTags)
        {
            throw new NodeLimitException("max_tags", MaxTags, $"{tags.Count} tags");
        }

        foreach ((string key, string value) in tags)
        {
            CheckTag(key, value);
        }
    }

    /// <summary>
    /// Refuses setting tag <paramref name="key"/> to <paramref name="value"/> on a table that has
    /// <paramref name="existing"/> tags: the tag over its limits, or one tag too many (a null value
    /// removes a tag, and setting a tag it has replaces it).
    /// </summary>
    /// <exception cref="NodeLimitException">The first limit it passes.</exception>
    public void CheckTagSet(IReadOnlyDictionary<string, string> existing, string key, string? value)
    {
        ArgumentNullException.ThrowIfNull(existing);
        CheckTag(key, value);
        if (value is not null && !existing.ContainsKey(key) && existing.Count >= MaxTags)
        {
            throw new NodeLimitException("max_tags", MaxTags, $"the table has {existing.Count} tags already");
        }
    }

    /// <summary>Refuses one tag over the limits (a null value, which removes a tag, has no size).</summary>
    /// <exception cref="NodeLimitException">The first limit it passes.</exception>
    public void CheckTag(string key, string? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (Encoding.UTF8.GetByteCount(key) is var keyBytes && keyBytes > MaxTagKeyBytes)
        {
            throw new NodeLimitException("max_tag_key_bytes", MaxTagKeyBytes, $"a tag key of {keyBytes} bytes");
        }

        if (value is not null && Encoding.UTF8.GetByteCount(value) is var valueBytes && valueBytes > MaxTagValueBytes)
        {
            throw new NodeLimitException("max_tag_value_bytes", MaxTagValueBytes, $"the value of tag '{Shown(key)}' is {valueBytes} bytes");
        }
    }

    private static string Shown(string key) => key.Length <= 40 ? key : key[..40] + "…";
}

/// <summary>A request passed one of the node's limits (<see cref="NodeLimits"/>); the message names it and its value.</summary>
public sealed class NodeLimitException : NodeException
{
    /// <summary>Names the limit, its value and what passed it.</summary>
    public NodeLimitException(string limit, long value, string what)
        : base(NodeErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture, $"{what}: over the node's limit {limit} = {value}"))
    {
        Limit = limit;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public NodeLimitException()
        : base(NodeErrorKind.InvalidArgument, "over one of the node's limits") => Limit = string.Empty;

    /// <summary>Creates the exception with a message.</summary>
    public NodeLimitException(string message)
        : base(NodeErrorKind.InvalidArgument, message) => Limit = string.Empty;

    /// <summary>Creates the exception with a message and its cause.</summary>
    public NodeLimitException(string message, Exception innerException)
        : base(NodeErrorKind.InvalidArgument, message, innerException) => Limit = string.Empty;

    /// <summary>The limit's name as docs/security.md lists it (e.g. <c>max_tag_value_bytes</c>).</summary>
    public string Limit { get; }
}
