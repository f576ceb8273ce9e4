using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

/// <summary>
/// Where everything of one store lives: <c>segments/&lt;cid&gt;.arrows</c> (one canonical IPC
/// stream per CID), <c>segments/&lt;cid&gt;.dagcbor</c> (one manifest node of a chunked table per CID), <c>pins/&lt;cid&gt;</c> (empty pin markers), <c>control</c> (the shared
/// counters), <c>feed.log</c> (the notification log) <c>arena</c> and <c>arena-small</c> (slots of small batches), <c>evict.lock</c>
/// (taken by whoever removes segment files).
/// </summary>
internal sealed class ShmStoreLayout
{
    public const string SegmentExtension = ".arrows";

    /// <summary>The extension of a manifest node's file (a dag-cbor CID): not an Arrow stream, so not <see cref="SegmentExtension"/>.</summary>
    public const string NodeExtension = ".dagcbor";
    public const string TempPrefix = ".tmp-";

    public ShmStoreLayout(string root)
    {
        Root = root;
        Segments = Path.Combine(root, "segments");
        Pins = Path.Combine(root, "pins");
        Control = Path.Combine(root, "control");
        Feed = Path.Combine(root, "feed.log");
        Arena = Path.Combine(root, "arena");
        SmallArena = Path.Combine(root, "arena-small");
        EvictionLock = Path.Combine(root, "evict.lock");
    }

    /// <summary>The empty file whose flock serialises evictors (see <c>ShmStore.LockEviction</c>).</summary>
    public string EvictionLock { get; }

    public string SmallArena { get; }

    public string Arena { get; }

    public string Root { get; }

    public string Segments { get; }

    public string Pins { get; }

    public string Control { get; }

    public string Feed { get; }

    /// <summary>The file of a CID: a raw CID's canonical stream, or a dag-cbor CID's manifest node.</summary>
    public string SegmentPath(Cid cid) => Path.Combine(Segments, cid.ToString() + (cid.Codec == Multicodec.DagCbor ? NodeExtension : SegmentExtension));

    public string PinPath(Cid cid) => Path.Combine(Pins, cid.ToString());

    /// <summary>The CID a segment or node file is named after, or null for anything else (temp files, strays, a CID under the other kind's extension).</summary>
    public static Cid? CidOfSegment(string path)
    {
        string name = Path.GetFileName(path);
        if (name.StartsWith('.'))
        {
            return null;
        }

        bool node = name.EndsWith(NodeExtension, StringComparison.Ordinal);
        if (!node && !name.EndsWith(SegmentExtension, StringComparison.Ordinal))
        {
            return null;
        }

        string stem = name[..^(node ? NodeExtension.Length : SegmentExtension.Length)];
        return Cid.TryParse(stem, out var cid) && (cid.Codec == Multicodec.DagCbor) == node ? cid : null;
    }
}
