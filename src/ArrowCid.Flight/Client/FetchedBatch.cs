using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Flight.Client;

/// <summary>One batch fetched over Flight whose reassembled canonical bytes hashed to its CID.</summary>
/// <param name="Cid">The batch CID the bytes hash to.</param>
/// <param name="CanonicalBytes">The canonical IPC stream (schema, dictionaries, record batch, end-of-stream).</param>
public sealed record FetchedBatch(Cid Cid, ReadOnlyMemory<byte> CanonicalBytes)
{
    /// <summary>Decodes the batch (fully validated); its buffers point into <see cref="CanonicalBytes"/>.</summary>
    public RecordBatch Read()
    {
        using var reader = new ArrowStreamReader(CanonicalBytes);
        return reader.ReadNext() ?? throw new Arrow.ArrowFormatException($"batch {Cid} holds no record batch");
    }
}

/// <summary>What <see cref="FlightClient.GetEndpointAsync(ArrowCid.Flight.FlightTicket, CancellationToken)"/> fetched: every chunk of a batch or table CID (or of a chunk range), each verified.</summary>
/// <param name="Cid">The CID asked for.</param>
/// <param name="Batches">The batches in order.</param>
public sealed record FlightFetchResult(Cid Cid, IReadOnlyList<FetchedBatch> Batches)
{
    /// <summary>Canonical bytes of all batches.</summary>
    public long Bytes => Batches.Sum(b => (long)b.CanonicalBytes.Length);
}

/// <summary>What a dataset name names on a node (<see cref="FlightClient.ResolveNameAsync"/>).</summary>
/// <param name="Cid">The CID of the version.</param>
/// <param name="Version">The version number on the node, when the node states it.</param>
public sealed record FlightNamedVersion(Cid Cid, long? Version);
