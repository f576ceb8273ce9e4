using System.Buffers.Binary;

namespace ArrowCid.Http2;

/// <summary>Frame types of RFC 9113 §6.</summary>
internal enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>Frame flags (RFC 9113 §6); each frame type gives its bits their meaning.</summary>
[Flags]
internal enum Http2FrameFlags : byte
{
    None = 0,

    /// <summary>DATA, HEADERS: the last frame the sender sends on the stream.</summary>
    EndStream = 0x1,

    /// <summary>SETTINGS, PING: an acknowledgement (the spec gives END_STREAM's bit this meaning on these frames).</summary>
#pragma warning disable CA1069 // The same bit means different things on different frame types.
    Ack = 0x1,
#pragma warning restore CA1069

    /// <summary>HEADERS, CONTINUATION: the header block ends in this frame.</summary>
    EndHeaders = 0x4,

    /// <summary>DATA, HEADERS: a pad length octet comes first and padding last.</summary>
    Padded = 0x8,

    /// <summary>HEADERS: five octets of (deprecated) priority information follow the pad length.</summary>
    Priority = 0x20,
}

/// <summary>Error codes of RFC 9113 §7, carried by RST_STREAM and GOAWAY.</summary>
public enum Http2ErrorCode : uint
{
    /// <summary>Graceful shutdown, or a stream the sender no longer needs.</summary>
    NoError = 0x0,

    /// <summary>The peer broke the protocol.</summary>
    ProtocolError = 0x1,

    /// <summary>An unexpected internal failure.</summary>
    InternalError = 0x2,

    /// <summary>The peer broke flow control.</summary>
    FlowControlError = 0x3,

    /// <summary>SETTINGS were not acknowledged in time.</summary>
    SettingsTimeout = 0x4,

    /// <summary>A frame arrived on a closed stream.</summary>
    StreamClosed = 0x5,

    /// <summary>A frame had an invalid size.</summary>
    FrameSizeError = 0x6,

    /// <summary>The stream was refused before any processing (safe to retry).</summary>
    RefusedStream = 0x7,

    /// <summary>The stream is no longer needed.</summary>
    Cancel = 0x8,

    /// <summary>The header compression context cannot be kept.</summary>
    CompressionError = 0x9,

    /// <summary>CONNECT failed.</summary>
    ConnectError = 0xa,

    /// <summary>The peer is generating excessive load.</summary>
    EnhanceYourCalm = 0xb,

    /// <summary>The transport's security is inadequate.</summary>
    InadequateSecurity = 0xc,

    /// <summary>HTTP/1.1 is required.</summary>
    Http11Required = 0xd,
}

/// <summary>SETTINGS parameters (RFC 9113 §6.5.2).</summary>
internal enum Http2SettingId : ushort
{
    HeaderTableSize = 0x1,
    EnablePush = 0x2,
    MaxConcurrentStreams = 0x3,
    InitialWindowSize = 0x4,
    MaxFrameSize = 0x5,
    MaxHeaderListSize = 0x6,
}

/// <summary>The 9-octet frame header: 24-bit length, type, flags, reserved bit and 31-bit stream id.</summary>
internal readonly record struct Http2FrameHeader(int Length, Http2FrameType Type, Http2FrameFlags Flags, int StreamId)
{
    /// <summary>Octets in a frame header.</summary>
    public const int Size = 9;

    /// <summary>Whether <paramref name="flag"/> is set.</summary>
    public bool Has(Http2FrameFlags flag) => (Flags & flag) != 0;

    /// <summary>Reads a header; the reserved bit is ignored as the spec asks.</summary>
    public static Http2FrameHeader Read(ReadOnlySpan<byte> source) => new(
        (source[0] << 16) | (source[1] << 8) | source[2],
        (Http2FrameType)source[3],
        (Http2FrameFlags)source[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(source[5..]) & 0x7FFF_FFFF));

    /// <summary>Writes this header into the first <see cref="Size"/> octets of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)(Length >> 16);
        destination[1] = (byte)(Length >> 8);
        destination[2] = (byte)Length;
        destination[3] = (byte)Type;
        destination[4] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)StreamId);
    }
}

/// <summary>Protocol constants.</summary>
internal static class Http2Protocol
{
    /// <summary>The client connection preface (RFC 9113 §3.4).</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>The frame size every peer must accept (and the smallest SETTINGS_MAX_FRAME_SIZE).</summary>
    public const int DefaultMaxFrameSize = 16 * 1024;

    /// <summary>The largest SETTINGS_MAX_FRAME_SIZE allowed.</summary>
    public const int LargestMaxFrameSize = (1 << 24) - 1;

    /// <summary>The initial flow-control window of connections and streams before SETTINGS.</summary>
    public const int DefaultWindowSize = 65_535;

    /// <summary>The largest flow-control window.</summary>
    public const int MaxWindowSize = int.MaxValue;

    /// <summary>Header fields HTTP/2 forbids in either direction (RFC 9113 §8.2.2).</summary>
    public static bool IsConnectionSpecific(string name) =>
        name is "connection" or "keep-alive" or "proxy-connection" or "transfer-encoding" or "upgrade";
}

/// <summary>A connection error (RFC 9113 §5.4.1): the connection ends with GOAWAY carrying <see cref="ErrorCode"/>.</summary>
public sealed class Http2ConnectionException : IOException
{
    /// <summary>Creates the error.</summary>
    public Http2ConnectionException(Http2ErrorCode errorCode, string message)
        : base(message) => ErrorCode = errorCode;

    /// <summary>Creates the error with an inner cause.</summary>
    public Http2ConnectionException(Http2ErrorCode errorCode, string message, Exception inner)
        : base(message, inner) => ErrorCode = errorCode;

    /// <summary>The code sent (or received) in GOAWAY.</summary>
    public Http2ErrorCode ErrorCode { get; }
}

/// <summary>A stream error (RFC 9113 §5.4.2): one stream ends with RST_STREAM carrying <see cref="ErrorCode"/>; the connection goes on.</summary>
public sealed class Http2StreamException : IOException
{
    /// <summary>Creates the error.</summary>
    public Http2StreamException(int streamId, Http2ErrorCode errorCode, string message)
        : base(message)
    {
        StreamId = streamId;
        ErrorCode = errorCode;
    }

    /// <summary>The stream that failed.</summary>
    public int StreamId { get; }

    /// <summary>The code sent (or received) in RST_STREAM.</summary>
    public Http2ErrorCode ErrorCode { get; }
}

/// <summary>
/// A stream on which no octet moved, in either direction, for its idle timeout: it was reset
/// (CANCEL) and fails with what it was waiting for. gRPC reports it as DEADLINE_EXCEEDED.
/// </summary>
public sealed class Http2StreamIdleException : IOException
{
    /// <summary>Creates the error.</summary>
    public Http2StreamIdleException(int streamId, TimeSpan idleTimeout, string waitingFor)
        : base($"nothing moved on HTTP/2 stream {streamId} for {idleTimeout.TotalSeconds:0.###} s while waiting for {waitingFor}")
    {
        StreamId = streamId;
        IdleTimeout = idleTimeout;
        WaitingFor = waitingFor;
    }

    /// <summary>The stream that stalled.</summary>
    public int StreamId { get; }

    /// <summary>The idle timeout that passed.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>What the stream was waiting for when it was given up.</summary>
    public string WaitingFor { get; }
}
