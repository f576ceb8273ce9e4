namespace ArrowCid.Grpc;

/// <summary>
/// The bytes of large request messages a server receives at once, across all its calls (issue 65: a
/// message's array is taken when its 5-byte prefix arrives, at the length the client declares, so
/// sixty streams declaring 64 MiB took a node to 3.8 GB). A message takes room before its array is
/// taken and gives it back once received whole; one that finds no room fails its call with
/// RESOURCE_EXHAUSTED at once. It does not wait: a waiting message reads nothing, and the DATA its
/// stream holds meanwhile counts against the connection's window, which could starve the very
/// messages whose room it waits for. One message larger than the whole budget is received alone.
/// </summary>
/// <param name="capacity">Bytes of messages in reception at once.</param>
public sealed class GrpcReceiveBudget(long capacity)
{
    private long _inUse;

    /// <summary>Bytes of messages in reception at once.</summary>
    public long Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the budget must be positive");

    /// <summary>Bytes of the messages in reception now.</summary>
    public long InUse => Interlocked.Read(ref _inUse);

    /// <summary>Takes room for a message of <paramref name="bytes"/>; false when there is none (then nothing is taken).</summary>
    public bool TryAcquire(long bytes)
    {
        long inUse = Interlocked.Read(ref _inUse);
        while (inUse == 0 || inUse + bytes <= Capacity)
        {
            long seen = Interlocked.CompareExchange(ref _inUse, inUse + bytes, inUse);
            if (seen == inUse)
            {
                return true;
            }

            inUse = seen;
        }

        return false;
    }

    /// <summary>Gives back the room of a message received whole (or abandoned).</summary>
    public void Release(long bytes) => Interlocked.Add(ref _inUse, -bytes);
}
