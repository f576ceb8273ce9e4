using Google.Protobuf;

namespace ArrowCid.Grpc;

/// <summary>
/// How one message type is read and written when it carries a large bytes field that protobuf's
/// own parser and serializer would copy. A <see cref="GrpcMethod{TRequest, TResponse}"/> carries
/// one per direction where it has one; messages without a codec go through protobuf whole.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
/// <remarks>
/// The reader calls <see cref="ParseOwned"/> for a message it has read into memory of its own
/// (one larger than 64 KiB), so the large field
/// can stay in that memory as a slice. The writer calls <see cref="TrySplitTrailingBytes"/> before
/// serialising a message, and when it answers true writes the head through protobuf and then the
/// trailing field's tag, length and bytes in flushed pieces from where they lie.
/// </remarks>
public interface IGrpcMessageCodec<T>
    where T : class, IMessage<T>
{
    /// <summary>
    /// Parses a message from <paramref name="payload"/>, which the caller gives up: the message may
    /// keep slices of it (a large bytes field wrapped in place rather than copied).
    /// </summary>
    /// <param name="payload">Exactly the message's bytes.</param>
    /// <returns>The message, equal to what protobuf's own parser would return.</returns>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a message of this type.</exception>
    T ParseOwned(ReadOnlyMemory<byte> payload);

    /// <summary>
    /// Splits <paramref name="message"/> into a head and one trailing length-delimited field when that
    /// field holds at least <paramref name="minimumLength"/> bytes, so the field can be sent from where it lies.
    /// </summary>
    /// <param name="message">The message to send.</param>
    /// <param name="minimumLength">Fields shorter than this are not worth splitting: answer false.</param>
    /// <param name="head">The message without the field: protobuf writes it first.</param>
    /// <param name="fieldNumber">The field's number. It must be the highest of the message's set fields, so head then field are exactly the bytes protobuf would write.</param>
    /// <param name="payload">The field's bytes.</param>
    /// <returns>True when the message was split; false to write it whole through protobuf.</returns>
    bool TrySplitTrailingBytes(T message, int minimumLength, out IMessage head, out int fieldNumber, out ReadOnlyMemory<byte> payload);
}
