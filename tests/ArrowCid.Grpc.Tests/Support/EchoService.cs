using System.Globalization;
using System.Text;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using Google.Protobuf;

namespace ArrowCid.Grpc.Tests.Support;

/// <summary>
/// A transport test service on the path /test.Echo/*, using Flight messages as payloads. The action
/// type of a unary request picks a behaviour (echo, throw, fail with a status, wait for cancellation...).
/// </summary>
public sealed class EchoService
{
    public const string Service = "test.Echo";

    public static readonly GrpcMethod<Flight.Protocol.Action, Result> Unary = new(Service, "Unary", MethodType.Unary);
    public static readonly GrpcMethod<Flight.Protocol.Action, Result> ServerStream = new(Service, "ServerStream", MethodType.ServerStreaming);
    public static readonly GrpcMethod<Flight.Protocol.Action, Result> ClientStream = new(Service, "ClientStream", MethodType.ClientStreaming);
    public static readonly GrpcMethod<Flight.Protocol.Action, Result> Duplex = new(Service, "Duplex", MethodType.DuplexStreaming);
    public static readonly GrpcMethod<Ticket, FlightData> Bulk = new(Service, "Bulk", MethodType.ServerStreaming, responseCodec: Flight.FlightDataCodec.Instance);

    /// <summary>Completes when a "wait" call sees its cancellation token fire (with the deadline it saw).</summary>
    public TaskCompletionSource<DateTime> WaitCancelled { get; private set; } = NewSignal();

    /// <summary>Completes when a "wait" call has started, so a test cancels a call the server really has.</summary>
    public TaskCompletionSource<DateTime> WaitStarted { get; private set; } = NewSignal();

    public void ResetSignals()
    {
        WaitCancelled = NewSignal();
        WaitStarted = NewSignal();
    }

    public void Register(GrpcServiceRegistry registry)
    {
        registry.AddUnary(Unary, UnaryAsync)
            .AddServerStreaming(ServerStream, ServerStreamAsync)
            .AddClientStreaming(ClientStream, ClientStreamAsync)
            .AddDuplexStreaming(Duplex, DuplexAsync)
            .AddServerStreaming(Bulk, BulkAsync);
    }

    private async Task<Result> UnaryAsync(Flight.Protocol.Action request, ServerCallContext context)
    {
        switch (request.Type)
        {
            case "echo":
                return new Result { Body = request.Body };
            case "throw":
                throw new InvalidOperationException("handler exploded");
            case "status":
                // Body: "<code>|<detail>"
                string[] parts = request.Body.ToStringUtf8().Split('|', 2);
                throw new RpcException((StatusCode)int.Parse(parts[0], CultureInfo.InvariantCulture), parts[1]);
            case "wait":
                WaitStarted.TrySetResult(context.Deadline);
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    WaitCancelled.TrySetResult(context.Deadline);
                    throw;
                }

                throw new InvalidOperationException("unreachable");
            case "metadata":
                var headers = new Metadata();
                headers.Add("echo-header", context.RequestHeaders.GetValue("text-key") ?? "none");
                await context.WriteResponseHeadersAsync(headers);
                context.ResponseTrailers.Add("echo-bin", context.RequestHeaders.GetValueBytes("data-bin") ?? []);
                return new Result { Body = ByteString.CopyFromUtf8(context.Peer) };
            case "big":
                return new Result { Body = ByteString.CopyFrom(new byte[int.Parse(request.Body.ToStringUtf8(), CultureInfo.InvariantCulture)]) };
            default:
                throw new RpcException(StatusCode.InvalidArgument, $"unknown test behaviour '{request.Type}'");
        }
    }

    private static async Task ServerStreamAsync(Flight.Protocol.Action request, IServerStreamWriter<Result> responses, ServerCallContext context)
    {
        int count = int.Parse(request.Body.ToStringUtf8(), CultureInfo.InvariantCulture);
        for (int i = 0; i < count; i++)
        {
            var result = new Result { Body = ByteString.CopyFromUtf8(i.ToString(CultureInfo.InvariantCulture)) };

            // "buffered": two of every three messages (the last among them) wait for the next write or the call's end.
            await (request.Type == "buffered" && i % 3 != 2 ? responses.WriteBufferedAsync(result) : responses.WriteAsync(result));
        }

        if (request.Type == "fail-after")
        {
            throw new RpcException(StatusCode.DataLoss, $"failed after {count} messages");
        }
    }

    private static async Task<Result> ClientStreamAsync(IAsyncStreamReader<Flight.Protocol.Action> requests, ServerCallContext context)
    {
        var all = new StringBuilder();
        await foreach (Flight.Protocol.Action action in requests.ReadAllAsync(context.CancellationToken))
        {
            all.Append(action.Body.ToStringUtf8());
        }

        return new Result { Body = ByteString.CopyFromUtf8(all.ToString()) };
    }

    private static async Task DuplexAsync(IAsyncStreamReader<Flight.Protocol.Action> requests, IServerStreamWriter<Result> responses, ServerCallContext context)
    {
        await foreach (Flight.Protocol.Action action in requests.ReadAllAsync(context.CancellationToken))
        {
            await responses.WriteAsync(new Result { Body = ByteString.CopyFromUtf8(action.Type + ":" + action.Body.ToStringUtf8()) });
        }
    }

    /// <summary>Streams ticket-many MiB as 1 MiB FlightData bodies.</summary>
    private static async Task BulkAsync(Ticket ticket, IServerStreamWriter<FlightData> responses, ServerCallContext context)
    {
        int mebibytes = int.Parse(ticket.Ticket_.ToStringUtf8(), CultureInfo.InvariantCulture);
        var chunk = new byte[1024 * 1024];
        for (int i = 0; i < mebibytes; i++)
        {
            chunk[0] = (byte)i;
            await responses.WriteAsync(new FlightData { DataBody = ByteString.CopyFrom(chunk) });
        }
    }

    private static TaskCompletionSource<DateTime> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
