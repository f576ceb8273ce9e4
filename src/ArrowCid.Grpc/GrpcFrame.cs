using System.Buffers.Binary;

namespace ArrowCid.Grpc;

/// <summary>
/// The gRPC length-prefixed message: a compressed-flag byte, a big-endian uint32 length, then the
/// message. Decoding checks the prefix before waiting for the body, so a hostile length never
/// causes an allocation or an unbounded buffer.
/// </summary>
internal static class GrpcFrame
{
    /// <summary>Bytes in the prefix.</summary>
    public const int PrefixLength = 5;

    /// <summary>Checks a whole prefix and returns the message length it declares.</summary>
    /// <exception cref="RpcException">
    /// <see cref="StatusCode.Internal"/> for a set or invalid compressed flag (only identity is
    /// supported, so compressed messages are a protocol error); <see cref="StatusCode.ResourceExhausted"/>
    /// when the declared length exceeds <paramref name="maxMessageLength"/>.
    /// </exception>
    public static int ReadPrefix(ReadOnlySpan<byte> prefix, int maxMessageLength)
    {
        switch (prefix[0])
        {
            case 0:
                break;
            case 1:
                throw new RpcException(
                    StatusCode.Internal,
                    "received a message with the compressed flag set, but the call uses no grpc-encoding this peer supports (only identity)");
            default:
                throw new RpcException(StatusCode.Internal, $"received a message prefix with invalid compressed flag 0x{prefix[0]:X2}");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        if (length > (uint)maxMessageLength)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"received message of {length} bytes, larger than the limit of {maxMessageLength} bytes");
        }

        return (int)length;
    }

    /// <summary>Writes an uncompressed prefix for a message of <paramref name="length"/> bytes.</summary>
    public static void WritePrefix(Span<byte> destination, int length)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
    }
}
