using System.Buffers.Binary;

namespace ArrowCid.Http2;

/// <summary>One side's SETTINGS values (RFC 9113 §6.5.2), starting at the protocol's defaults.</summary>
internal sealed class Http2Settings
{
    public int HeaderTableSize { get; set; } = 4096;

    public bool EnablePush { get; set; } = true;

    /// <summary>Unlimited until the peer says otherwise.</summary>
    public int MaxConcurrentStreams { get; set; } = int.MaxValue;

    private int _initialWindowSize = Http2Protocol.DefaultWindowSize;

    /// <summary>Read by senders on other threads than the read loop that sets it (<see cref="Http2SendWindow"/>).</summary>
    public int InitialWindowSize
    {
        get => Volatile.Read(ref _initialWindowSize);
        set => Volatile.Write(ref _initialWindowSize, value);
    }

    public int MaxFrameSize { get; set; } = Http2Protocol.DefaultMaxFrameSize;

    /// <summary>Unlimited until the peer says otherwise (advisory).</summary>
    public int MaxHeaderListSize { get; set; } = int.MaxValue;

    /// <summary>Applies a SETTINGS payload from the peer, validating each value as §6.5.2 asks.</summary>
    /// <exception cref="Http2ConnectionException">A malformed payload or a value out of range.</exception>
    public void Apply(ReadOnlySpan<byte> payload)
    {
        if (payload.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"a SETTINGS payload of {payload.Length} octets is not a multiple of 6");
        }

        for (; !payload.IsEmpty; payload = payload[6..])
        {
            var id = (Http2SettingId)BinaryPrimitives.ReadUInt16BigEndian(payload);
            uint value = BinaryPrimitives.ReadUInt32BigEndian(payload[2..]);
            switch (id)
            {
                case Http2SettingId.HeaderTableSize:
                    HeaderTableSize = (int)Math.Min(value, int.MaxValue);
                    break;
                case Http2SettingId.EnablePush:
                    EnablePush = value switch
                    {
                        0 => false,
                        1 => true,
                        _ => throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_ENABLE_PUSH must be 0 or 1, not {value}"),
                    };
                    break;
                case Http2SettingId.MaxConcurrentStreams:
                    MaxConcurrentStreams = (int)Math.Min(value, int.MaxValue);
                    break;
                case Http2SettingId.InitialWindowSize:
                    InitialWindowSize = value <= Http2Protocol.MaxWindowSize
                        ? (int)value
                        : throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"SETTINGS_INITIAL_WINDOW_SIZE {value} is above 2^31-1");
                    break;
                case Http2SettingId.MaxFrameSize:
                    MaxFrameSize = value is >= Http2Protocol.DefaultMaxFrameSize and <= Http2Protocol.LargestMaxFrameSize
                        ? (int)value
                        : throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} is outside 16384..16777215");
                    break;
                case Http2SettingId.MaxHeaderListSize:
                    MaxHeaderListSize = (int)Math.Min(value, int.MaxValue);
                    break;
                default:
                    // Unknown settings must be ignored.
                    break;
            }
        }
    }

    /// <summary>Writes the SETTINGS payload that announces these values (push always off: neither side of gRPC uses it).</summary>
    public int WritePayload(Span<byte> destination)
    {
        int written = 0;
        Write(destination, ref written, Http2SettingId.HeaderTableSize, (uint)HeaderTableSize);
        Write(destination, ref written, Http2SettingId.EnablePush, 0);
        if (MaxConcurrentStreams != int.MaxValue)
        {
            Write(destination, ref written, Http2SettingId.MaxConcurrentStreams, (uint)MaxConcurrentStreams);
        }

        Write(destination, ref written, Http2SettingId.InitialWindowSize, (uint)InitialWindowSize);
        Write(destination, ref written, Http2SettingId.MaxFrameSize, (uint)MaxFrameSize);
        if (MaxHeaderListSize != int.MaxValue)
        {
            Write(destination, ref written, Http2SettingId.MaxHeaderListSize, (uint)MaxHeaderListSize);
        }

        return written;
    }

    private static void Write(Span<byte> destination, ref int written, Http2SettingId id, uint value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[written..], (ushort)id);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(written + 2)..], value);
        written += 6;
    }
}
