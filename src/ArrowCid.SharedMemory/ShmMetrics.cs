using System.Diagnostics.Metrics;
using ArrowCid.Content;

namespace ArrowCid.SharedMemory;

/// <summary>What this process's shared-memory store records (<see cref="ArrowCidMeter"/>).</summary>
internal static class ShmMetrics
{
    private static readonly Meter Meter = new(ArrowCidMeter.Name);

    /// <summary>Tables and batches published (one notice on the feed each).</summary>
    public static readonly Counter<long> Publishes = Meter.CreateCounter<long>(
        "arrowcid.shm.publishes", "{table}", "Tables and batches this process published to shared memory");

    /// <summary>Segments attached (a table attaches each of its chunks).</summary>
    public static readonly Counter<long> Attaches = Meter.CreateCounter<long>(
        "arrowcid.shm.attaches", "{segment}", "Segments this process attached from shared memory (a table's chunks each count)");

    /// <summary>Leases held now: attached segments whose batches are still referenced.</summary>
    public static readonly UpDownCounter<long> LiveLeases = Meter.CreateUpDownCounter<long>(
        "arrowcid.shm.leases", "{lease}", "Leases this process holds on shared-memory segments now");

    /// <summary>Segments evicted to make room under the store's capacity.</summary>
    public static readonly Counter<long> Evictions = Meter.CreateCounter<long>(
        "arrowcid.shm.evictions", "{segment}", "Segments this process evicted to make room under the store's capacity");

    /// <summary>A lease was taken (an attach).</summary>
    public static void Leased()
    {
        Attaches.Add(1);
        LiveLeases.Add(1);
    }
}
