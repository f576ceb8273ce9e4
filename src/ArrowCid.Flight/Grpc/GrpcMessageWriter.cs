using System.Buffers;
using Google.Protobuf;

namespace ArrowCid.Flight.Grpc;

/// <summary>Writes one length-prefixed protobuf message into a buffer writer (a pipe).</summary>
internal static class GrpcMessageWriter
{
    /// <exception cref="RpcException"><see cref="StatusCode.ResourceExhausted"/> when the message is over the send limit.</exception>
    public static void Write(IBufferWriter<byte> output, IMessage message, int maxMessageLength)
    {
        int length = message.CalculateSize();
        if (length > maxMessageLength)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"cannot send a {message.Descriptor.Name} message of {length} bytes: larger than the limit of {maxMessageLength} bytes");
        }

        GrpcFrame.WritePrefix(output.GetSpan(GrpcFrame.PrefixLength), length);
        output.Advance(GrpcFrame.PrefixLength);
        message.WriteTo(output);
    }
}
