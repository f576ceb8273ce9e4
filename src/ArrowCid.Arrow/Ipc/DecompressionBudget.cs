namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// How many bytes compressed buffers may grow to: per message, and over everything one reader
/// decodes (<see cref="IpcReadOptions.MaxDecompressedBytesPerMessage"/>, <see cref="IpcReadOptions.MaxDecompressedBytesPerReader"/>).
/// A buffer's claimed length (its 8-byte prefix) is taken before it is decompressed, so a small
/// message that claims gigabytes of zeros is refused before any memory is allocated for them.
/// </summary>
internal sealed class DecompressionBudget
{
    private readonly long _perMessage;
    private readonly long _perReader;
    private long _readerLeft;
    private long _messageLeft;

    public DecompressionBudget(long perMessage, long perReader)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perMessage);
        ArgumentOutOfRangeException.ThrowIfNegative(perReader);
        (_perMessage, _perReader, _messageLeft, _readerLeft) = (perMessage, perReader, perMessage, perReader);
    }

    /// <summary>A new message starts: its own allowance is whole again.</summary>
    public void StartMessage() => _messageLeft = _perMessage;

    /// <summary>Takes <paramref name="claimed"/> bytes for one buffer of <paramref name="what"/>, or refuses.</summary>
    /// <exception cref="ArrowFormatException">The message or the reader would pass its allowance.</exception>
    public void Take(long claimed, string what)
    {
        if (claimed > _messageLeft)
        {
            throw new ArrowFormatException(
                $"{what}: a compressed buffer claims {claimed} bytes, more than the {_perMessage} decompressed bytes one message may have (IpcReadOptions.MaxDecompressedBytesPerMessage; a node's max_decompressed_bytes_per_message)");
        }

        if (claimed > _readerLeft)
        {
            throw new ArrowFormatException(
                $"{what}: a compressed buffer claims {claimed} bytes, past the {_perReader} decompressed bytes one stream may have in all (IpcReadOptions.MaxDecompressedBytesPerReader; a node's max_decompressed_bytes_per_request)");
        }

        _messageLeft -= claimed;
        _readerLeft -= claimed;
    }
}
