namespace ArrowCid.Flight.Service;

/// <summary>
/// Every node the shared registry records as holding a block failed to supply it for a reason other
/// than not having it (unreachable, silent past the idle timeout, failing): UNAVAILABLE, a
/// condition to retry, where NOT_FOUND would say the block is held nowhere.
/// </summary>
public sealed class PeersUnavailableException(string message) : Exception(message);
