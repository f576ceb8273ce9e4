namespace ArrowCid.Registry;

/// <summary>The names a change of the registry goes by wherever the change feed is followed (Flight's subscription, the HTTP events, <c>change=</c> filters).</summary>
public static class RegistryChangeNames
{
    /// <summary>The change's name, e.g. <c>location_added</c>.</summary>
    /// <param name="kind">The change.</param>
    /// <returns>Its name.</returns>
    public static string NameOf(RegistryChangeKind kind) => kind switch
    {
        RegistryChangeKind.Registered => "registered",
        RegistryChangeKind.Updated => "updated",
        RegistryChangeKind.Pinned => "pinned",
        RegistryChangeKind.Unpinned => "unpinned",
        RegistryChangeKind.Tagged => "tagged",
        RegistryChangeKind.LocationAdded => "location_added",
        RegistryChangeKind.Deleted => "deleted",
        RegistryChangeKind.Versioned => "versioned",
        RegistryChangeKind.LocationRemoved => "location_removed",
        _ => "changed",
    };
}
