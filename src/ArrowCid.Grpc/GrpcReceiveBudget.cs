namespace ArrowCid.Grpc;

/// <summary>
/// The bytes of large request messages a server receives at once, across all its calls and on any
/// one connection (issue 65: a message's array is taken when its 5-byte prefix arrives, at the
/// length the client declares, so sixty streams declaring 64 MiB took a node to 3.8 GB). A message
/// takes room before its array is taken and gives it back once received whole; one that finds no
/// room fails its call with RESOURCE_EXHAUSTED at once. It does not wait: a waiting message reads
/// nothing, and the DATA its stream holds meanwhile counts against the connection's window, which
/// could starve the very messages whose room it waits for. One message larger than the whole budget
/// (or a connection's share) is received alone. The share per connection keeps one client's
/// streams from taking all the room the others need.
/// </summary>
public sealed class GrpcReceiveBudget
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _byConnection = new(StringComparer.Ordinal);
    private long _inUse;

    /// <summary>A budget of <paramref name="capacity"/> bytes, of which one connection may hold <paramref name="perConnection"/> (a quarter when null).</summary>
    /// <param name="capacity">Bytes of messages in reception at once.</param>
    /// <param name="perConnection">Bytes one connection's messages may hold of it at once.</param>
    public GrpcReceiveBudget(long capacity, long? perConnection = null)
    {
        Capacity = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the budget must be positive");
        PerConnection = perConnection ?? Math.Max(1, capacity / 4);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PerConnection, nameof(perConnection));
    }

    /// <summary>Bytes of messages in reception at once.</summary>
    public long Capacity { get; }

    /// <summary>Bytes one connection's messages may hold at once.</summary>
    public long PerConnection { get; }

    /// <summary>Bytes of the messages in reception now.</summary>
    public long InUse
    {
        get
        {
            lock (_lock)
            {
                return _inUse;
            }
        }
    }

    /// <summary>
    /// Takes room for a message of <paramref name="bytes"/> arriving on <paramref name="connection"/>
    /// (null: counted only in the whole); a refusal says which limit it met (null when taken).
    /// </summary>
    public string? TryAcquire(long bytes, string? connection = null)
    {
        lock (_lock)
        {
            long ours = connection is null ? 0 : _byConnection.GetValueOrDefault(connection);
            if (_inUse > 0 && _inUse + bytes > Capacity)
            {
                return $"the server is receiving {_inUse >> 20} MiB of large messages already (at most {Capacity >> 20} MiB at once)";
            }

            if (ours > 0 && ours + bytes > PerConnection)
            {
                return $"this connection's calls are sending {ours >> 20} MiB of large messages already (at most {PerConnection >> 20} MiB at once on one connection)";
            }

            _inUse += bytes;
            if (connection is not null)
            {
                _byConnection[connection] = ours + bytes;
            }

            return null;
        }
    }

    /// <summary>Gives back the room of a message received whole (or abandoned) on <paramref name="connection"/>.</summary>
    public void Release(long bytes, string? connection = null)
    {
        lock (_lock)
        {
            _inUse -= bytes;
            if (connection is not null && _byConnection.TryGetValue(connection, out long ours))
            {
                if (ours - bytes <= 0)
                {
                    _byConnection.Remove(connection);
                }
                else
                {
                    _byConnection[connection] = ours - bytes;
                }
            }
        }
    }
}
