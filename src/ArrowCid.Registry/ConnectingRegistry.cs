using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>
/// A registry that could not be reached when it was first opened, being connected to in the
/// background: until it answers, every call fails with <see cref="RegistryUnavailableException"/>
/// (so a node started during an outage serves what it holds by CID and answers the rest
/// UNAVAILABLE, as it does in an outage that starts later); once connected, every call goes to it.
/// Tries again after 1 s, then 2, 4… up to 30 s apart.
/// </summary>
public sealed class ConnectingRegistry : IRegistry
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<IRegistry> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _connecting;
    private volatile IRegistry? _inner;
    private volatile RegistryUnavailableException _lastError;

    /// <summary>Starts connecting in the background.</summary>
    /// <param name="open">Opens the registry; throws <see cref="RegistryUnavailableException"/> while it cannot be reached (any other exception ends the attempts, and <see cref="Connected"/> fails with it).</param>
    /// <param name="firstError">Why the first attempt failed: what calls say until the next attempt.</param>
    /// <param name="retrying">Told of each failed attempt and how long until the next (for a log line).</param>
    public ConnectingRegistry(Func<IRegistry> open, RegistryUnavailableException firstError, Action<RegistryUnavailableException, TimeSpan>? retrying = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(firstError);
        _lastError = firstError;
        _connecting = Task.Run(() => ConnectAsync(open, firstError, retrying));
    }

    /// <summary>Completes with the registry once it answered; fails when opening it failed for a reason other than its being unreachable.</summary>
    public Task<IRegistry> Connected => _connected.Task;

    /// <summary>Whether the registry has been reached.</summary>
    public bool IsConnected => _inner is not null;

    /// <inheritdoc/>
    public long LatestSequence => Inner.LatestSequence;

    /// <inheritdoc/>
    public IReadOnlyDictionary<BlockKind, RegistryTotal> CountByKind() => Inner.CountByKind();

    // The registry, or the error that says it is not reached yet.
    private IRegistry Inner => _inner ?? throw new RegistryUnavailableException($"{_lastError.Message} (still trying to reach it)", _lastError);

    /// <inheritdoc/>
    public BlockRecord Upsert(BlockRecord record) => Inner.Upsert(record);

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> UpsertAll(IReadOnlyList<BlockRecord> records) => Inner.UpsertAll(records);

    /// <inheritdoc/>
    public BlockRecord? Find(Cid cid) => Inner.Find(cid);

    /// <inheritdoc/>
    public bool Contains(Cid cid) => Inner.Contains(cid);

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> List(RegistryQuery? query = null) => Inner.List(query);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> ListCids(Cid? after = null, int? limit = null) => Inner.ListCids(after, limit);

    /// <inheritdoc/>
    public bool Pin(Cid cid) => Inner.Pin(cid);

    /// <inheritdoc/>
    public bool Unpin(Cid cid) => Inner.Unpin(cid);

    /// <inheritdoc/>
    public bool SetTag(Cid cid, string key, string value) => Inner.SetTag(cid, key, value);

    /// <inheritdoc/>
    public bool RemoveTag(Cid cid, string key) => Inner.RemoveTag(cid, key);

    /// <inheritdoc/>
    public bool AddLocation(Cid cid, string location) => Inner.AddLocation(cid, location);

    /// <inheritdoc/>
    public int AddLocations(IReadOnlyList<Cid> cids, string location) => Inner.AddLocations(cids, location);

    /// <inheritdoc/>
    public LocationRelease ReleaseLocation(Cid cid, string location) => Inner.ReleaseLocation(cid, location);

    /// <inheritdoc/>
    public bool ReleaseLocationKeepingCopies(Cid cid, string location, IReadOnlyCollection<string> holders, int copies) =>
        Inner.ReleaseLocationKeepingCopies(cid, location, holders, copies);

    /// <inheritdoc/>
    public bool Delete(Cid cid) => Inner.Delete(cid);

    /// <inheritdoc/>
    public int DeleteAll(IReadOnlyList<Cid> cids) => Inner.DeleteAll(cids);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GetLinkingDatasets(Cid batch) => Inner.GetLinkingDatasets(batch);

    /// <inheritdoc/>
    public Cid? FindRetainingAncestor(Cid cid) => Inner.FindRetainingAncestor(cid);

    /// <inheritdoc/>
    public void AddRetained(CidKeySet retained) => Inner.AddRetained(retained);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GuardTierBlocks(string holder, IReadOnlyList<Cid> cids, TimeSpan deletionLifetime) => Inner.GuardTierBlocks(holder, cids, deletionLifetime);

    /// <inheritdoc/>
    public void ReleaseTierGuards(IReadOnlyList<string> holders) => Inner.ReleaseTierGuards(holders);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> MarkTierDeletions(IReadOnlyList<Cid> cids, TimeSpan guardLifetime) => Inner.MarkTierDeletions(cids, guardLifetime);

    /// <inheritdoc/>
    public void EndTierDeletions(IReadOnlyList<Cid> cids) => Inner.EndTierDeletions(cids);

    /// <inheritdoc/>
    public NamedVersion? AddVersion(string name, Cid cid) => Inner.AddVersion(name, cid);

    /// <inheritdoc/>
    public bool RestoreVersion(NamedVersion version) => Inner.RestoreVersion(version);

    /// <inheritdoc/>
    public Cid? LinkVersion(string name, long version, Cid node, KeptIpnsRecord? record = null) => Inner.LinkVersion(name, version, node, record);

    /// <inheritdoc/>
    public byte[]? FindIpnsRecord(string ipnsName) => Inner.FindIpnsRecord(ipnsName);

    /// <inheritdoc/>
    public bool KeepIpnsRecord(KeptIpnsRecord record) => Inner.KeepIpnsRecord(record);

    /// <inheritdoc/>
    public NamedVersion? FindVersion(string name, long? version = null) => Inner.FindVersion(name, version);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListNames(string? after = null, int? limit = null) => Inner.ListNames(after, limit);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListVersions(string name, long? after = null, int? limit = null, bool oldestFirst = false) => Inner.ListVersions(name, after, limit, oldestFirst);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListVersionsOf(Cid cid) => Inner.ListVersionsOf(cid);

    /// <inheritdoc/>
    public IReadOnlyList<RegistryChange> ChangesSince(long sequence, int limit = 1000) => Inner.ChangesSince(sequence, limit);

    /// <summary>Stops trying, waits for an attempt in progress, and closes the registry if it was reached.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _connecting.Wait();
        }
        catch (AggregateException)
        {
            // An attempt that failed for good already failed Connected.
        }

        _inner?.Dispose();
        _stop.Dispose();
    }

    private async Task ConnectAsync(Func<IRegistry> open, RegistryUnavailableException firstError, Action<RegistryUnavailableException, TimeSpan>? retrying)
    {
        var wait = FirstWait;
        var error = firstError;
        while (true)
        {
            retrying?.Invoke(error, wait);
            try
            {
                await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _connected.TrySetCanceled(_stop.Token);
                return;
            }

            try
            {
                var reached = open();
                if (_stop.IsCancellationRequested)
                {
                    reached.Dispose();
                    _connected.TrySetCanceled(_stop.Token);
                    return;
                }

                _inner = reached;
                _connected.TrySetResult(reached);
                return;
            }
            catch (RegistryUnavailableException e)
            {
                _lastError = error = e;
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestWait.Ticks));
            }
            catch (Exception e)
            {
                _connected.TrySetException(e);
                return;
            }
        }
    }
}
