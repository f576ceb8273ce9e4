namespace ArrowCid.Flight.Service;

/// <summary>
/// A block's bytes in place — a block or segment file mapped read-only, or a shared-memory arena
/// slot under its lease — valid until disposal, which unmaps the file or drops the lease (an empty
/// block has neither).
/// </summary>
internal sealed class MappedContent(ReadOnlyMemory<byte> memory, IDisposable? owner) : IDisposable
{
    public ReadOnlyMemory<byte> Memory => memory;

    public void Dispose() => owner?.Dispose();
}
