namespace ArrowCid.Http2.Client;

/// <summary>
/// Request content that may be known whole when the request starts. <see cref="Http2ClientHandler"/>
/// then sends it as one DATA frame with END_STREAM in the same socket write as the request's
/// HEADERS, and starts no body sender: for a small gRPC call one write (and one wake-up of the
/// server's reader) instead of two.
/// </summary>
public interface IWholeHttpContent
{
    /// <summary>
    /// The whole content when it is known now and at most <paramref name="maxLength"/> octets;
    /// false otherwise (the content is then sent as usual). Asking does not consume it.
    /// </summary>
    bool TryGetWhole(int maxLength, out ReadOnlyMemory<byte> whole);
}
