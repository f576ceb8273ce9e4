namespace ArrowCid.Node;

/// <summary>
/// The node's subscribers of the change feed (Flight DoExchange subscriptions and HTTP
/// <c>/api/v1/events</c> alike): how many there may be per token and in all
/// (<see cref="NodeLimits.MaxSubscribers"/>, <see cref="NodeLimits.MaxSubscribersPerToken"/>), and
/// the gate every page of the feed a subscriber reads passes through. A replay from far back is
/// many pages of registry reads; the gate lets as many pages be read at once as there are cores,
/// so a storm of replays queues behind it (asynchronously, holding no thread) instead of taking
/// every core and every pool thread from the node's other work.
/// </summary>
public sealed class Subscribers(NodeLimits limits) : IDisposable
{
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _pages = new(Math.Max(1, Environment.ProcessorCount));
    private int _total;

    /// <summary>Subscribers now.</summary>
    public int Count => Volatile.Read(ref _total);

    /// <summary>
    /// Admits a subscriber counted under its <paramref name="authorization"/> (the credentials it
    /// sent, <c>Bearer TOKEN</c>, over Flight or HTTP alike) or, with none (an open node), under
    /// its <paramref name="address"/> (an IP address without port); disposing the lease lets it go.
    /// </summary>
    /// <exception cref="NodeLimitException">The node, or that token or address, has as many subscribers as it may.</exception>
    public IDisposable Admit(string? authorization, string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        string key = string.IsNullOrEmpty(authorization) ? "address " + address : "token " + authorization;
        lock (_perKey)
        {
            if (_total >= limits.MaxSubscribers)
            {
                throw new NodeLimitException("max_subscribers", limits.MaxSubscribers, $"the node has {_total} subscribers");
            }

            int mine = _perKey.GetValueOrDefault(key);
            if (mine >= limits.MaxSubscribersPerToken)
            {
                throw new NodeLimitException("max_subscribers_per_token", limits.MaxSubscribersPerToken, $"this token (or address) has {mine} subscribers");
            }

            _perKey[key] = mine + 1;
            _total++;
        }

        return new Lease(this, key);
    }

    /// <summary>Waits for a turn to read one page of the feed; dispose the result when the page is read.</summary>
    public async ValueTask<IDisposable> PageTurnAsync(CancellationToken cancellationToken)
    {
        await _pages.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new PageTurn(_pages);
    }

    /// <inheritdoc />
    public void Dispose() => _pages.Dispose();

    private void Leave(string key)
    {
        lock (_perKey)
        {
            _total--;
            if (--_perKey[key] == 0)
            {
                _perKey.Remove(key);
            }
        }
    }

    private sealed class Lease(Subscribers owner, string key) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                owner.Leave(key);
            }
        }
    }

    private sealed class PageTurn(SemaphoreSlim pages) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                pages.Release();
            }
        }
    }
}
