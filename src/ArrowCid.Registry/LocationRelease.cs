namespace ArrowCid.Registry;

/// <summary>What <see cref="IRegistry.ReleaseLocation"/> did.</summary>
public enum LocationRelease
{
    /// <summary>The CID is not registered, or that location was not recorded for it.</summary>
    NotHeld,

    /// <summary>The location was removed; other locations remain, or the record is kept because it is pinned or named.</summary>
    LocationRemoved,

    /// <summary>The location was the last one and nothing keeps the record: it was deleted.</summary>
    RecordDeleted,
}
