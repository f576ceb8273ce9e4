namespace ArrowCid.Http2;

/// <summary>
/// An HTTP request feature our HTTP/2 server sets: whether the response body sends a
/// <see cref="FileRegionMemory"/> straight from its file (<c>sendfile(2)</c>, cleartext connections
/// over a plain socket) rather than reading it into memory first (TLS, or Kestrel's own HTTP/2,
/// where the feature is absent). A handler that has a choice builds file regions only where they
/// are sent as such.
/// </summary>
public interface IHttpResponseFileRegionFeature
{
    /// <summary>True when a <see cref="FileRegionMemory"/> written to the response body goes from the file to the socket.</summary>
    bool SendsFileRegions { get; }
}
