using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests.Support;

/// <summary>
/// A DoPut written message by message on the raw call, for tests that act between batches (a gc,
/// a signal) once the node's PutResult for a batch shows it has taken that batch.
/// </summary>
internal static class RawDoPut
{
    /// <summary>Writes the first message: the descriptor (a CMD) and the schema.</summary>
    public static Task StartAsync(GrpcCall<FlightData, PutResult> call, string command, Arrow.Types.Schema schema) =>
        call.RequestStream.WriteAsync(new FlightData
        {
            FlightDescriptor = new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8(command) },
            DataHeader = ByteString.CopyFrom(MessageEncoder.EncodeSchema(schema, IpcWriteOptions.Default).Metadata),
        });

    /// <summary>Writes one batch's messages (its dictionaries, then the batch).</summary>
    public static async Task WriteBatchAsync(GrpcCall<FlightData, PutResult> call, RecordBatch batch)
    {
        foreach (var message in MessageEncoder.EncodeBatchWithDictionaries(batch, IpcWriteOptions.Default))
        {
            await call.RequestStream.WriteAsync(new FlightData
            {
                DataHeader = UnsafeByteOperations.UnsafeWrap(message.Metadata),
                DataBody = UnsafeByteOperations.UnsafeWrap(message.BodyToArray()),
            });
        }
    }

    /// <summary>Completes the requests and reads every PutResult left.</summary>
    public static async Task<List<PutResult>> FinishAsync(GrpcCall<FlightData, PutResult> call)
    {
        await call.RequestStream.CompleteAsync();
        var results = new List<PutResult>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            results.Add(call.ResponseStream.Current);
        }

        return results;
    }

    /// <summary>The chunks a PutResult acknowledges.</summary>
    public static List<Cid> ChunksOf(PutResult result)
    {
        using var json = JsonDocument.Parse(result.AppMetadata.Memory);
        return [.. json.RootElement.GetProperty("chunks").EnumerateArray().Select(c => Cid.Parse(c.GetProperty("cid").GetString()!))];
    }

    /// <summary>A CID a PutResult names (<c>dataset</c>, say).</summary>
    public static Cid CidOf(PutResult result, string property)
    {
        using var json = JsonDocument.Parse(result.AppMetadata.Memory);
        return Cid.Parse(json.RootElement.GetProperty(property).GetString()!);
    }
}
