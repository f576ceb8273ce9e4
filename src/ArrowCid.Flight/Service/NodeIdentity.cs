namespace ArrowCid.Flight.Service;

/// <summary>This node's advertised Flight location, known once the server has bound its port.</summary>
internal sealed class NodeIdentity
{
    private string? _location;

    public string? Location
    {
        get => Volatile.Read(ref _location);
        set => Volatile.Write(ref _location, value);
    }
}
