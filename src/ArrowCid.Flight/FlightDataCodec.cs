using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc;
using Google.Protobuf;

namespace ArrowCid.Flight;

/// <summary>
/// The gRPC codec of FlightData: a large message is parsed with <c>data_body</c> left in the
/// received array (<see cref="FlightDataParsing"/>), and a large <c>data_body</c> is sent from where
/// it lies. <c>data_body</c> is field 1000, the highest of FlightData's fields, so the head then the
/// body are exactly the bytes protobuf would write.
/// </summary>
internal sealed class FlightDataCodec : IGrpcMessageCodec<FlightData>
{
    /// <summary>The one instance (the codec holds no state).</summary>
    public static FlightDataCodec Instance { get; } = new();

    private FlightDataCodec()
    {
    }

    /// <inheritdoc />
    public FlightData ParseOwned(ReadOnlyMemory<byte> payload) => FlightDataParsing.ParseOwned(payload);

    /// <inheritdoc />
    public bool TrySplitTrailingBytes(FlightData message, int minimumLength, out IMessage head, out int fieldNumber, out ReadOnlyMemory<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.DataBody.Length < minimumLength)
        {
            head = message;
            fieldNumber = 0;
            payload = default;
            return false;
        }

        head = new FlightData { DataHeader = message.DataHeader, AppMetadata = message.AppMetadata, FlightDescriptor = message.FlightDescriptor };
        fieldNumber = FlightData.DataBodyFieldNumber;
        payload = message.DataBody.Memory;
        return true;
    }
}
