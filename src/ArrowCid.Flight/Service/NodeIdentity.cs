namespace ArrowCid.Flight.Service;

/// <summary>This node's advertised Flight location (and its HTTP gateway's), known once the servers have bound their ports.</summary>
internal sealed class NodeIdentity
{
    private string? _location;
    private string? _httpLocation;

    /// <summary>The base address of the node's HTTP gateway (<c>http://host:port</c>), when it has one.</summary>
    public string? HttpLocation
    {
        get => Volatile.Read(ref _httpLocation);
        set => Volatile.Write(ref _httpLocation, value?.TrimEnd('/'));
    }

    public string? Location
    {
        get => Volatile.Read(ref _location);
        set => Volatile.Write(ref _location, value);
    }
}
