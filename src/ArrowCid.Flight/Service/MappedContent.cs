using ArrowCid.Arrow.Memory;

namespace ArrowCid.Flight.Service;

/// <summary>A block's bytes mapped read-only from its file; the mapping lives until disposal.</summary>
internal sealed class MappedContent(MappedFileMemory mapping) : IDisposable
{
    public ReadOnlyMemory<byte> Memory => mapping.Memory;

    public void Dispose() => ((IDisposable)mapping).Dispose();
}
