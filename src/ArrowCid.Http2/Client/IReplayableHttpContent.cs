namespace ArrowCid.Http2.Client;

/// <summary>
/// Request content that can be sent again from its start. <see cref="Http2ClientHandler"/> re-sends
/// a request the server refused without processing it (RST_STREAM REFUSED_STREAM, or a GOAWAY below
/// its stream) only when its content is absent or says it can.
/// </summary>
public interface IReplayableHttpContent
{
    /// <summary>Whether the whole content is known and kept (for a gRPC call: its request stream is complete and small).</summary>
    bool IsReplayable { get; }

    /// <summary>Makes the next serialisation start again from the beginning; called once the previous one has ended.</summary>
    void Rewind();
}
