namespace ArrowCid.Parquet.Reading;

/// <summary>
/// What one reader may decode (<see cref="ParquetReadOptions.MaxDecodedBytesHeld"/>,
/// <see cref="ParquetReadOptions.MaxDecodedBytesPerReader"/>): bytes held at once, and bytes
/// decoded in all. A page's size is taken from its header before it is decompressed, and its
/// levels and values before they are allocated, so a small page that claims or expands to
/// gigabytes (zeros behind a codec, one long dictionary entry repeated, front coding that
/// repeats a long prefix) is refused before the memory exists. Bytes handed out in a batch are
/// no longer held: what a reader holds is bounded by the pages it is working through.
/// </summary>
internal sealed class DecodeBudget(long maxHeld, long maxDecoded)
{
    /// <summary>A budget that never refuses.</summary>
    public static DecodeBudget Unbounded() => new(long.MaxValue, long.MaxValue);

    /// <summary>Bytes decoded and not yet handed out or dropped.</summary>
    public long Held { get; private set; }

    /// <summary>Bytes decoded since the reader opened.</summary>
    public long Decoded { get; private set; }

    /// <summary>How many more bytes may be taken now.</summary>
    public long Available => Math.Max(0, Math.Min(maxHeld - Held, maxDecoded - Decoded));

    /// <summary>Takes <paramref name="bytes"/> for <paramref name="what"/>, or refuses.</summary>
    /// <exception cref="ParquetFormatException">Holding or decoding that much would pass an allowance.</exception>
    public void Take(long bytes, string what)
    {
        if (bytes > maxHeld - Held)
        {
            throw new ParquetFormatException(
                $"{what} needs {bytes} bytes, with {Held} already held more than the {maxHeld} decoded bytes a reader may hold at once (ParquetReadOptions.MaxDecodedBytesHeld; a node's max_parquet_bytes_held)");
        }

        if (bytes > maxDecoded - Decoded)
        {
            throw new ParquetFormatException(
                $"{what} needs {bytes} bytes, past the {maxDecoded} bytes a reader may decode in all (ParquetReadOptions.MaxDecodedBytesPerReader; a node's max_decompressed_bytes_per_request)");
        }

        Held += bytes;
        Decoded += bytes;
    }

    /// <summary>Gives back bytes taken earlier: they were handed out or dropped.</summary>
    public void Release(long bytes) => Held -= bytes;
}
