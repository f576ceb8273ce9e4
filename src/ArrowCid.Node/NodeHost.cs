using ArrowCid.ObjectStorage;
using System.Globalization;
using ArrowCid.Registry;
using ArrowCid.Registry.Postgres;
using ArrowCid.Repository;
using ArrowCid.SharedMemory;

namespace ArrowCid.Node;

/// <summary>What a <see cref="NodeHost"/> opens: a repository folder, the registry it shares, this host's shared memory, and the node's own settings.</summary>
public sealed class NodeHostOptions
{
    /// <summary>The repository folder (created when missing).</summary>
    public required string Repository { get; init; }

    /// <summary>
    /// The registry to share with other nodes (<c>postgres://…</c>, <c>Host=…</c>, <c>sqlite:PATH</c>);
    /// null for the one the folder remembers (<see cref="NodeSettings"/>), or else the repository's own.
    /// </summary>
    public string? Registry { get; init; }

    /// <summary>
    /// Where the node keeps every block durably besides its own disk, <c>s3://BUCKET/PREFIX</c>
    /// (docs/object-storage.md), or null. Opened at start: a missing bucket, refused credentials or
    /// an unreachable store stop the start with an error naming it.
    /// </summary>
    public string? Blocks { get; init; }

    /// <summary>Whether this host's shared-memory store is served too (when it can be opened). Default true.</summary>
    public bool SharedMemory { get; init; } = true;

    /// <summary>The node's settings; its <see cref="NodeOptions.SharedRegistry"/> and <see cref="NodeOptions.SharedMemory"/> are the host's.</summary>
    public NodeOptions Node { get; init; } = new();

    /// <summary>Where the host says what it could not do and went on without (shared memory, a registry away), one line each.</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Where the host says what changed later (a registry reached after an outage), one line each.</summary>
    public Action<string>? Say { get; init; }
}

/// <summary>
/// A node composed from a repository folder, as <c>arrowcid serve</c>, tests, samples and native
/// callers start one: the folder claimed for one node at a time (<see cref="NodeLease"/>), the
/// registry it shares (remembered in the folder, reached later when it is away at start: the node
/// serves what it holds by CID meanwhile), this host's shared memory, and changes other nodes commit
/// waking this node's subscribers. Faces are started over <see cref="Node"/>; disposing the host
/// closes all it opened.
/// </summary>
public sealed class NodeHost : IDisposable
{
    private readonly NodeLease _lease;
    private readonly IRegistry? _shared;
    private readonly LateSubscription _wake = new();
    private readonly CancellationTokenSource _stopLinking = new();
    private Action<string>? _warn;
    private Task _linking = Task.CompletedTask;

    private NodeHost(ContentRepository repository, NodeLease lease, string? registryUrl, IRegistry? shared, ShmStore? sharedMemory, S3BlockTier? tier, NodeOptions options)
    {
        Repository = repository;
        _lease = lease;
        RegistryUrl = registryUrl;
        _shared = shared;
        SharedMemory = sharedMemory;
        DurableTier = tier;
        // Every setting as given, with the registry and shared memory the host opened.
        Node = new ContentNode(repository, options with
        {
            // Journaled by the node (in the folder, and in the bucket with a durable tier).
            SharedRegistry = shared,
            SharedMemory = sharedMemory,
            DurableTier = tier ?? options.DurableTier,
        });
    }

    /// <summary>The node its faces serve.</summary>
    public ContentNode Node { get; }

    /// <summary>The repository.</summary>
    public ContentRepository Repository { get; }

    /// <summary>The shared registry's URL, or null when the repository's own registry serves alone.</summary>
    public string? RegistryUrl { get; }

    /// <summary>The durable tier the host opened (<see cref="NodeHostOptions.Blocks"/>), else null.</summary>
    public S3BlockTier? DurableTier { get; }

    /// <summary>This host's shared-memory store when it is served, else null.</summary>
    public ShmStore? SharedMemory { get; }

    /// <summary>Opens the folder and composes the node.</summary>
    /// <exception cref="InvalidOperationException">Another node serves the folder, or it remembers another registry than the one asked for.</exception>
    /// <exception cref="NodeException">InvalidArgument: the registry URL cannot be used.</exception>
    public static NodeHost Open(NodeHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // A disk that is a bounded cache of the bucket keeps every block a file of its own: the
        // cache evicts blocks one by one, which a pack file's blocks are not.
        var repository = ContentRepository.Open(options.Repository, options.Node.CacheBytes is null ? null : new LocalRepositoryOptions { PackThreshold = 0 });
        NodeLease? lease = null;
        IRegistry? shared = null;
        ShmStore? sharedMemory = null;
        S3BlockTier? tier = null;
        try
        {
            string root = repository.Repository.Root;

            // One node per folder; and the folder keeps the registry its blocks are recorded in.
            lease = NodeLease.Acquire(root);
            string? registryUrl = NodeSettings.ResolveRegistry(NodeSettings.Read(root), options.Registry);
            shared = OpenSharedRegistry(registryUrl, options.Warn);
            sharedMemory = options.SharedMemory ? TryOpenSharedMemory(options.Warn) : null;

            // At start, before any call is served: waiting on the store holds no request.
            tier = options.Blocks is null ? null : S3BlockTier.OpenAsync(S3Location.Parse(options.Blocks)).GetAwaiter().GetResult();
            var host = new NodeHost(repository, lease, registryUrl, shared, sharedMemory, tier, options.Node) { _warn = options.Warn };
            host.WakeOnChanges(options);
            return host;
        }
        catch
        {
            tier?.Dispose();
            sharedMemory?.Dispose();
            (shared as IDisposable)?.Dispose();
            lease?.Dispose();
            repository.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Records in the folder how the node is reached now (<see cref="NodeSettings"/>): what every
    /// command run on the folder needs to act as this node does. Call once the faces listen.
    /// </summary>
    public void Announce()
    {
        new NodeSettings(RegistryUrl, Node.Identity.Location, Environment.ProcessId, DateTimeOffset.UtcNow, DurableTier?.Location.ToString()).Write(Repository.Repository.Root);

        // The node's location is known now: what the disk holds beyond the cache's bound goes, and its location with it.
        Node.Cache?.Trim();

        // Versions recorded before signed names (or by a rebuilt registry) are linked into their
        // chains while the node serves: no call waits for it, and a name's next version links its own.
        var names = Node.Registrations.Names;
        var stop = _stopLinking.Token;
        _linking = Task.Run(() =>
        {
            try
            {
                long linked = names.LinkAll(stop);
                if (linked > 0)
                {
                    _warn?.Invoke($"linked {linked} versions of names into their signed chains (docs/names.md)");
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopping: the rest is linked at the next start.
            }
#pragma warning disable CA1031 // A name whose table is not here stays unlinked until it is; the node serves on.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _warn?.Invoke($"linking the versions of names into their signed chains stopped: {e.Message}");
            }
        }, CancellationToken.None);
    }

    /// <summary>Stops waking subscribers, closes the node, the registry, the lease and the repository.</summary>
    public void Dispose()
    {
        _stopLinking.Cancel();
        _linking.Wait(TimeSpan.FromMinutes(1));
        _stopLinking.Dispose();
        _wake.Dispose();
        Node.Dispose();
        DurableTier?.Dispose();
        (_shared as IDisposable)?.Dispose();
        SharedMemory?.Dispose();
        _lease.Dispose();
        Repository.Dispose();
    }

    /// <summary>
    /// Opens the shared registry. While it is unreachable the node starts all the same, over a
    /// <see cref="ConnectingRegistry"/> that says so and tries again after 1 s, 2, 4… up to 30 s
    /// apart: meanwhile the node serves what it holds by CID and answers the rest Unavailable.
    /// </summary>
    private static IRegistry? OpenSharedRegistry(string? url, Action<string>? warn)
    {
        if (url is null)
        {
            return null;
        }

        try
        {
            return OpenSharedRegistryOnce(url);
        }
        catch (RegistryUnavailableException e)
        {
            return new ConnectingRegistry(() => OpenSharedRegistryOnce(url), e, (error, wait) =>
                warn?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{error.Message}; serving what this node holds by CID meanwhile; retrying in {wait.TotalSeconds:0} s")));
        }
    }

    private static IRegistry OpenSharedRegistryOnce(string url)
    {
        try
        {
            return RegistryFactory.Open(url);
        }
        catch (Exception e) when (e is FormatException or Npgsql.NpgsqlException or NotSupportedException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new NodeException(NodeErrorKind.InvalidArgument, e.Message, e);
        }
    }

    private static ShmStore? TryOpenSharedMemory(Action<string>? warn)
    {
        try
        {
            return ShmStore.Open();
        }
        catch (Exception e) when (e is PlatformNotSupportedException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            warn?.Invoke($"shared memory not served: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Wakes the node's subscribers on changes other nodes commit to a PostgreSQL registry; for a
    /// registry still being connected to, from when it answers (saying so), and once then, since
    /// changes may have been missed.
    /// </summary>
    private void WakeOnChanges(NodeHostOptions options)
    {
        Action notify = Node.Changes.Notify;
        switch (_shared)
        {
            case PostgresRegistry postgres:
                _wake.Set(postgres.Subscribe(notify));
                break;
            case ConnectingRegistry connecting:
                _ = connecting.Connected.ContinueWith(
                    reached =>
                    {
                        if (reached.IsCompletedSuccessfully)
                        {
                            options.Say?.Invoke("registry reached: the node serves everything");
                            _wake.Set((reached.Result as PostgresRegistry)?.Subscribe(notify));
                            notify();
                        }
                        else if (reached.Exception is { } failed)
                        {
                            options.Warn?.Invoke($"the registry cannot be used: {failed.InnerException?.Message}; only what this node holds is served by CID");
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default);
                break;
        }
    }

    // A subscription made later than the node's start; disposing it first disposes what comes later.
    private sealed class LateSubscription : IDisposable
    {
        private readonly object _gate = new();
        private IDisposable? _subscription;
        private bool _disposed;

        public void Set(IDisposable? subscription)
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _subscription = subscription;
                    return;
                }
            }

            subscription?.Dispose();
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _subscription?.Dispose();
                _subscription = null;
            }
        }
    }
}
