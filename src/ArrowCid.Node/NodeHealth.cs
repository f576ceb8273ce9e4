using ArrowCid.Repository;

namespace ArrowCid.Node;

/// <summary>
/// What a probe found (<see cref="NodeHealth.Probe"/>): whether the node should be sent traffic,
/// and each dependency's state in words.
/// </summary>
/// <param name="Ready">The node takes calls: not draining, its registry answers, its store is there (writable or said read-only), its shared memory open where served, its durable tier answering.</param>
/// <param name="Draining">The node is shutting down: it finishes what it has and takes nothing new.</param>
/// <param name="Registry">"ok", or why the registry the node answers from does not answer.</param>
/// <param name="Store">"writable", "read-only: …" (a full disk: reads go on), or why the store cannot be used.</param>
/// <param name="SharedMemory">"open", "not served", or why the store it serves is gone.</param>
/// <param name="StoreFreeBytes">Bytes free on the block store's file system, when it could be read.</param>
/// <param name="Listeners">"ok", or which face cannot accept connections and why (out of descriptors: it retries on its own).</param>
/// <param name="ObjectStore">"none" without a durable tier, "ok", or "unavailable: …" from the tier's last request (<see cref="ObjectStorage.S3BlockTier.CurrentProblem"/>).</param>
public sealed record NodeReadiness(bool Ready, bool Draining, string Registry, string Store, string SharedMemory, long? StoreFreeBytes, string Listeners = "ok", string ObjectStore = "none");

/// <summary>
/// A node's liveness and readiness, shared by its faces: the gRPC health service on the Flight port
/// and <c>/healthz</c>, <c>/readyz</c> on the HTTP port. Alive is the process answering at all; ready
/// is probed on each ask (<see cref="Probe"/>), so a registry that went away is seen at the next
/// probe; draining is set once, by <see cref="Drain"/>, and every face reports it at once.
/// </summary>
public sealed class NodeHealth
{
    /// <summary>Below this many free bytes the store is called read-only: a put fails there on a full disk (a pack append and SQLite's journal need room).</summary>
    public const long MinimumFreeBytes = 1L << 20;

    private readonly ContentNode _node;
    private readonly List<(string Face, Func<string?> Problem)> _listeners = [];
    private volatile bool _draining;

    /// <summary>Probes <paramref name="node"/>.</summary>
    public NodeHealth(ContentNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
    }

    /// <summary>Raised once a drain begins (faces tell their watchers).</summary>
    public event Action? Draining;

    /// <summary>Whether the node is draining.</summary>
    public bool IsDraining => _draining;

    /// <summary>Marks the node as draining: from now on it reports NOT_SERVING and 503. Idempotent.</summary>
    public void Drain()
    {
        if (_draining)
        {
            return;
        }

        _draining = true;
        Draining?.Invoke();
    }

    /// <summary>Adds a face's listener to what readiness probes: <paramref name="problem"/> says why it cannot accept connections, or null when it can.</summary>
    public void AddListener(string face, Func<string?> problem)
    {
        ArgumentException.ThrowIfNullOrEmpty(face);
        ArgumentNullException.ThrowIfNull(problem);
        lock (_listeners)
        {
            _listeners.Add((face, problem));
        }
    }

    /// <summary>
    /// Probes once so that what a probe needs is loaded while descriptors are plentiful: with none
    /// left an assembly cannot be opened, and the readiness probe (DriveInfo's assembly) answered
    /// 500 while a node ran out (issue 65). Each face calls it as it starts.
    /// </summary>
    public void Prepare() => _ = Probe();

    /// <summary>Probes each dependency now.</summary>
    public NodeReadiness Probe()
    {
        string registry = ProbeRegistry();
        var (store, free, storeUsable) = ProbeStore();
        var (sharedMemory, sharedMemoryOpen) = ProbeSharedMemory();
        string listeners = ProbeListeners();
        string objectStore = _node.Options.DurableTier is { } tier ? tier.CurrentProblem() is { } problem ? $"unavailable: {problem}" : "ok" : "none";
        bool ready = !_draining && registry == "ok" && storeUsable && sharedMemoryOpen && listeners == "ok" && objectStore is "ok" or "none";
        return new NodeReadiness(ready, _draining, registry, store, sharedMemory, free, listeners, objectStore);
    }

    private string ProbeListeners()
    {
        lock (_listeners)
        {
            var failing = _listeners.Select(l => (l.Face, Problem: l.Problem())).Where(l => l.Problem is not null).Select(l => $"{l.Face}: {l.Problem}").ToList();
            return failing.Count == 0 ? "ok" : string.Join("; ", failing);
        }
    }

    private string ProbeRegistry()
    {
        try
        {
            // One indexed row read: answers when the database (or PostgreSQL) does.
            _ = _node.Registrations.Registry.ListNames(after: null, limit: 1);
            return "ok";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"not answering: {e.Message}";
        }
    }

    /// <summary>Bytes free on the block store's file system; null when its folder is gone or cannot be read.</summary>
    public long? StoreFreeBytes() => FreeBytes(out _);

    private long? FreeBytes(out string? why)
    {
        string root = _node.Repository.Repository.Blocks.Root;
        if (!Directory.Exists(root))
        {
            why = $"missing: {root}";
            return null;
        }

        try
        {
            why = null;
            return new DriveInfo(root).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            why = $"cannot be read: {e.Message}";
            return null;
        }
    }

    private (string State, long? FreeBytes, bool Usable) ProbeStore()
    {
        if (FreeBytes(out string? why) is not { } free)
        {
            return (why!, null, false);
        }

        return free < MinimumFreeBytes
            ? ($"read-only: the disk is full ({free} bytes free); reads go on", free, true)
            : ("writable", free, true);
    }

    private (string State, bool Open) ProbeSharedMemory()
    {
        var store = _node.Options.SharedMemory;
        if (store is null)
        {
            return ("not served", true);
        }

        return Directory.Exists(store.Directory) ? ("open", true) : ($"gone: {store.Directory}", false);
    }
}
