namespace ArrowCid.Node;

/// <summary>Where the node is reached: its Flight location and its HTTP gateway's address, known once each face has bound its port.</summary>
public sealed class NodeIdentity
{
    private string? _location;
    private string? _httpLocation;

    /// <summary>The base address of the node's HTTP gateway (<c>http://host:port</c>), when it has one.</summary>
    public string? HttpLocation
    {
        get => Volatile.Read(ref _httpLocation);
        set => Volatile.Write(ref _httpLocation, value?.TrimEnd('/'));
    }

    /// <summary>The node's advertised Flight location (<c>grpc+tcp://host:port</c>), when its Flight face has bound its port.</summary>
    public string? Location
    {
        get => Volatile.Read(ref _location);
        set => Volatile.Write(ref _location, value);
    }
}
