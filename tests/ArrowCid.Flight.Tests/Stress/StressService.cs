using System.Globalization;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests.Stress;

/// <summary>
/// What one stress call asks of the server, carried in the first request message's type as
/// <c>seed=S;request=N;respond=M;delay=D;readdelay=R;fail=0|1</c>: the request's N octets follow
/// the pattern of seed S, the server reads them with pauses of up to R ms, waits D ms, then sends M
/// octets of the pattern of seed S+1 (and, with fail=1, fails half way with ABORTED).
/// </summary>
public sealed record StressPlan(int Seed, long RequestBytes, long ResponseBytes, int ServerDelayMs, int ReadDelayMs, bool FailHalfWay)
{
    /// <summary>The plan as the first request message's type.</summary>
    public string Encode() => string.Create(
        CultureInfo.InvariantCulture,
        $"seed={Seed};request={RequestBytes};respond={ResponseBytes};delay={ServerDelayMs};readdelay={ReadDelayMs};fail={(FailHalfWay ? 1 : 0)}");

    /// <summary>Parses <see cref="Encode"/>'s text; null when it is not a plan.</summary>
    public static StressPlan? Parse(string text)
    {
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string part in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] pair = part.Split('=', 2);
            if (pair.Length != 2 || !long.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                return null;
            }

            fields[pair[0]] = value;
        }

        return fields.TryGetValue("seed", out long seed) && fields.TryGetValue("request", out long request) && fields.TryGetValue("respond", out long respond)
            ? new StressPlan((int)seed, request, respond, (int)fields.GetValueOrDefault("delay"), (int)fields.GetValueOrDefault("readdelay"), fields.GetValueOrDefault("fail") == 1)
            : null;
    }
}

/// <summary>Octets at absolute offset i of a stream of seed s are (s + i) mod 256: cheap to make and check in C# and Python alike.</summary>
public static class StressPattern
{
    public static void Fill(Span<byte> destination, int seed, long offset)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (byte)(seed + offset + i);
        }
    }

    /// <summary>The offset of the first octet that does not follow the pattern, or -1.</summary>
    public static long FirstMismatch(ReadOnlySpan<byte> data, int seed, long offset)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)(seed + offset + i))
            {
                return offset + i;
            }
        }

        return -1;
    }
}

/// <summary>
/// The stress service (<c>/stress.Stress/Exchange</c>, duplex, Flight's Action in and Result out):
/// reads a request of any size with random pauses, checks every octet, then streams a response of
/// any size in messages of at most 1 MiB.
/// </summary>
public static class StressService
{
    public const int MaxMessageBody = 1 << 20;

    public static readonly GrpcMethod<Protocol.Action, Result> Exchange = new("stress.Stress", "Exchange", MethodType.DuplexStreaming);

    public static void Register(GrpcServiceRegistry registry) => registry.AddDuplexStreaming(Exchange, ExchangeAsync);

    private static async Task ExchangeAsync(IAsyncStreamReader<Protocol.Action> requests, IServerStreamWriter<Result> responses, ServerCallContext context)
    {
        CancellationToken cancel = context.CancellationToken;
        StressPlan? plan = null;
        Random? pauses = null;
        long received = 0;
        while (true)
        {
            if (plan is { ReadDelayMs: > 0 } && pauses!.Next(4) == 0)
            {
                // A slow reader: the client's sends wait on flow control.
                await Task.Delay(pauses.Next(plan.ReadDelayMs + 1), cancel);
            }

            if (!await requests.MoveNext(cancel))
            {
                break;
            }

            Protocol.Action message = requests.Current;
            if (plan is null)
            {
                plan = StressPlan.Parse(message.Type) ?? throw new RpcException(StatusCode.InvalidArgument, $"not a stress plan: {message.Type}");
                pauses = new Random(plan.Seed);
            }

            if (StressPattern.FirstMismatch(message.Body.Span, plan.Seed, received) is var bad and >= 0)
            {
                throw new RpcException(StatusCode.DataLoss, $"request octet {bad} does not follow seed {plan.Seed}");
            }

            received += message.Body.Length;
        }

        if (plan is null)
        {
            throw new RpcException(StatusCode.InvalidArgument, "no plan: the request was empty");
        }

        if (received != plan.RequestBytes)
        {
            throw new RpcException(StatusCode.DataLoss, $"received {received} of {plan.RequestBytes} request octets");
        }

        if (plan.ServerDelayMs > 0)
        {
            await Task.Delay(plan.ServerDelayMs, cancel);
        }

        byte[] buffer = new byte[(int)Math.Min(plan.ResponseBytes, MaxMessageBody)];
        for (long sent = 0; sent < plan.ResponseBytes;)
        {
            if (plan.FailHalfWay && sent >= plan.ResponseBytes / 2)
            {
                throw new RpcException(StatusCode.Aborted, "the planned failure half way through the response");
            }

            int length = (int)Math.Min(buffer.Length, plan.ResponseBytes - sent);
            StressPattern.Fill(buffer.AsSpan(0, length), plan.Seed + 1, sent);
            await responses.WriteAsync(new Result { Body = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, length)) }, cancel);
            sent += length;
        }

        if (plan.FailHalfWay)
        {
            throw new RpcException(StatusCode.Aborted, "the planned failure at the end of the response");
        }
    }
}
