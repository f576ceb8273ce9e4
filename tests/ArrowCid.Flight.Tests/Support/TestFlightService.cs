using System.Text;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests.Support;

/// <summary>
/// A small Flight service used by the .NET and node interop tests: two actions, and DoGet streaming
/// as many FlightData messages as the ticket says. Everything else stays UNIMPLEMENTED.
/// </summary>
public sealed class TestFlightService : FlightServiceBase
{
    public const string FailureMessage = "action failed: 100% ünïcödé ✓";

    public override async Task ListActions(Empty request, IServerStreamWriter<ActionType> responseStream, ServerCallContext context)
    {
        await responseStream.WriteAsync(new ActionType { Type = "echo", Description = "returns the body" });
        await responseStream.WriteAsync(new ActionType { Type = "fail", Description = "fails with INVALID_ARGUMENT" });
    }

    public override async Task DoAction(Protocol.Action request, IServerStreamWriter<Result> responseStream, ServerCallContext context)
    {
        switch (request.Type)
        {
            case "echo":
                await responseStream.WriteAsync(new Result { Body = request.Body });
                await responseStream.WriteAsync(new Result { Body = ByteString.CopyFromUtf8("done") });
                break;
            case "fail":
                throw new RpcException(StatusCode.InvalidArgument, FailureMessage);
            default:
                throw new RpcException(StatusCode.NotFound, $"no action '{request.Type}'");
        }
    }

    public override async Task DoGet(Ticket request, IServerStreamWriter<FlightData> responseStream, ServerCallContext context)
    {
        int count = int.Parse(request.Ticket_.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 0; i < count; i++)
        {
            await responseStream.WriteAsync(new FlightData
            {
                AppMetadata = ByteString.CopyFrom(Encoding.UTF8.GetBytes($"batch-{i}")),
                DataBody = ByteString.CopyFrom(new byte[i * 10]),
            });
        }
    }
}
