namespace ArrowCid.Registry;

/// <summary>What happened to a record, as reported by the change feed.</summary>
public enum RegistryChangeKind
{
    /// <summary>A CID was registered for the first time.</summary>
    Registered = 1,

    /// <summary>An existing record was registered again and its metadata merged.</summary>
    Updated = 2,

    /// <summary>The record was pinned.</summary>
    Pinned = 3,

    /// <summary>The record was unpinned.</summary>
    Unpinned = 4,

    /// <summary>A tag was set or removed.</summary>
    Tagged = 5,

    /// <summary>A location was added.</summary>
    LocationAdded = 6,

    /// <summary>The record was deleted.</summary>
    Deleted = 7,

    /// <summary>The CID became a new version of a dataset name (<see cref="IRegistry.AddVersion"/>).</summary>
    Versioned = 8,

    /// <summary>A location was removed: the node there no longer holds the block (<see cref="IRegistry.ReleaseLocation"/>).</summary>
    LocationRemoved = 9,
}
