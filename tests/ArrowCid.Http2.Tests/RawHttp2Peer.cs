using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ArrowCid.Http2;
using ArrowCid.Http2.Hpack;

namespace ArrowCid.Http2.Tests;

/// <summary>One frame as read off the wire.</summary>
internal sealed record RawFrame(Http2FrameHeader Header, byte[] Payload)
{
    public Http2FrameType Type => Header.Type;

    public int StreamId => Header.StreamId;

    public bool Has(Http2FrameFlags flag) => Header.Has(flag);

    /// <summary>The error code of RST_STREAM (offset 0) or GOAWAY (offset 4).</summary>
    public Http2ErrorCode ErrorCode => (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(Type == Http2FrameType.GoAway ? 4 : 0));
}

/// <summary>
/// A hand-driven HTTP/2 peer over one TCP socket: writes the preface and frames exactly as told
/// (so it can break every rule) and reads frames back. Used as the client against our server and,
/// from an accepted socket, as the server against our client.
/// </summary>
internal sealed class RawHttp2Peer : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _header = new byte[Http2FrameHeader.Size];

    public RawHttp2Peer(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Decodes the header blocks this peer receives (one HPACK context per connection).</summary>
    public HpackDecoder Decoder { get; } = new(4096, 1 << 20);

    public Socket Socket => _socket;

    public static async Task<RawHttp2Peer> ConnectAsync(Uri address)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address.Host, address.Port);
        return new RawHttp2Peer(socket);
    }

    /// <summary>Plays a server: accepts the client's connection, checks its preface and SETTINGS, sends ours (+ <paramref name="settings"/>) and an ACK of its.</summary>
    public static async Task<RawHttp2Peer> AcceptClientAsync(TcpListener listener, params (Http2SettingId Id, uint Value)[] settings)
    {
        Socket socket = await listener.AcceptSocketAsync().WaitAsync(DefaultTimeout);
        var peer = new RawHttp2Peer(socket);
        Assert.Equal(Http2Protocol.ClientPreface.ToArray(), await peer.ReadRawAsync(24));
        RawFrame first = await peer.ReadFrameAsync() ?? throw new IOException("closed");
        Assert.Equal(Http2FrameType.Settings, first.Type);
        Assert.False(first.Has(Http2FrameFlags.Ack));
        await peer.WriteSettingsAsync(settings);
        await peer.WriteFrameAsync(Http2FrameType.Settings, Http2FrameFlags.Ack, 0, ReadOnlyMemory<byte>.Empty);
        return peer;
    }

    /// <summary>Connects, sends preface + SETTINGS, answers the server's SETTINGS; returns the server's settings frame.</summary>
    public static async Task<(RawHttp2Peer Peer, RawFrame Settings)> HandshakeAsync(Uri address, params (Http2SettingId Id, uint Value)[] settings)
    {
        RawHttp2Peer peer = await ConnectAsync(address);
        await peer.WriteRawAsync(Http2Protocol.ClientPreface.ToArray());
        await peer.WriteSettingsAsync(settings);
        RawFrame first = await peer.ReadFrameAsync() ?? throw new IOException("the server closed before its SETTINGS");
        Assert.Equal(Http2FrameType.Settings, first.Type);
        Assert.False(first.Has(Http2FrameFlags.Ack));
        await peer.WriteFrameAsync(Http2FrameType.Settings, Http2FrameFlags.Ack, 0, ReadOnlyMemory<byte>.Empty);
        return (peer, first);
    }

    /// <summary>Reads exactly <paramref name="count"/> raw octets (the client preface).</summary>
    public async Task<byte[]> ReadRawAsync(int count)
    {
        byte[] bytes = new byte[count];
        using var cts = new CancellationTokenSource(DefaultTimeout);
        Assert.True(await FillAsync(bytes, cts.Token), "the peer closed before sending the preface");
        return bytes;
    }

    public Task WriteRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public async Task WriteFrameAsync(Http2FrameType type, Http2FrameFlags flags, int streamId, ReadOnlyMemory<byte> payload, int? lengthOverride = null)
    {
        byte[] frame = Frame(type, flags, streamId, payload.Span, lengthOverride);
        await _stream.WriteAsync(frame);
    }

    public static byte[] Frame(Http2FrameType type, Http2FrameFlags flags, int streamId, ReadOnlySpan<byte> payload, int? lengthOverride = null)
    {
        byte[] frame = new byte[Http2FrameHeader.Size + payload.Length];
        new Http2FrameHeader(lengthOverride ?? payload.Length, type, flags, streamId).Write(frame);
        payload.CopyTo(frame.AsSpan(Http2FrameHeader.Size));
        return frame;
    }

    public Task WriteSettingsAsync(params (Http2SettingId Id, uint Value)[] settings) =>
        WriteFrameAsync(Http2FrameType.Settings, Http2FrameFlags.None, 0, SettingsPayload(settings));

    public static byte[] SettingsPayload(params (Http2SettingId Id, uint Value)[] settings)
    {
        byte[] payload = new byte[6 * settings.Length];
        for (int i = 0; i < settings.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(6 * i), (ushort)settings[i].Id);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan((6 * i) + 2), settings[i].Value);
        }

        return payload;
    }

    public Task WriteHeadersAsync(int streamId, IEnumerable<KeyValuePair<string, string>> fields, bool endStream) =>
        WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | (endStream ? Http2FrameFlags.EndStream : 0), streamId, Encode(fields));

    public Task WriteDataAsync(int streamId, ReadOnlyMemory<byte> data, bool endStream) =>
        WriteFrameAsync(Http2FrameType.Data, endStream ? Http2FrameFlags.EndStream : 0, streamId, data);

    public Task WriteWindowUpdateAsync(int streamId, uint increment)
    {
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, increment);
        return WriteFrameAsync(Http2FrameType.WindowUpdate, 0, streamId, payload);
    }

    public Task WriteRstAsync(int streamId, Http2ErrorCode code)
    {
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)code);
        return WriteFrameAsync(Http2FrameType.RstStream, 0, streamId, payload);
    }

    public Task WriteGoAwayAsync(int lastStreamId, Http2ErrorCode code)
    {
        byte[] payload = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)code);
        return WriteFrameAsync(Http2FrameType.GoAway, 0, 0, payload);
    }

    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var block = new ArrayBufferWriter<byte>();
        foreach (KeyValuePair<string, string> field in fields)
        {
            HpackEncoder.Encode(field.Key, field.Value, block);
        }

        return block.WrittenSpan.ToArray();
    }

    /// <summary>One field as a literal with incremental indexing and a new name (RFC 7541 §6.2.1): it enters the peer's dynamic table.</summary>
    public static byte[] EncodeWithIndexing(string name, string value)
    {
        var writer = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode(name, value, writer);
        byte[] block = writer.WrittenSpan.ToArray();
        Assert.Equal(0x00, block[0]); // literal name without indexing ...
        block[0] = 0x40; // ... turned into literal name with incremental indexing
        return block;
    }

    /// <summary>The next frame; null when the peer closed (cleanly or with a reset).</summary>
    public async Task<RawFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            if (!await FillAsync(_header, cts.Token))
            {
                return null;
            }

            var header = Http2FrameHeader.Read(_header);
            byte[] payload = new byte[header.Length];
            if (!await FillAsync(payload, cts.Token))
            {
                return null;
            }

            return new RawFrame(header, payload);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no frame and no close within {timeout ?? DefaultTimeout}");
        }
    }

    /// <summary>Reads frames until one matches; null when the connection closed first.</summary>
    public async Task<RawFrame?> ReadUntilAsync(Func<RawFrame, bool> match, TimeSpan? timeout = null)
    {
        while (await ReadFrameAsync(timeout) is { } frame)
        {
            if (match(frame))
            {
                return frame;
            }
        }

        return null;
    }

    /// <summary>The code of the GOAWAY the peer ends with; null when it closed without one.</summary>
    public async Task<Http2ErrorCode?> ReadGoAwayAsync()
    {
        RawFrame? goAway = await ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);
        return goAway?.ErrorCode;
    }

    /// <summary>Reads the frames of one stream until it ends (END_STREAM or RST_STREAM); other frames are returned too.</summary>
    public async Task<StreamResult> ReadStreamAsync(int streamId)
    {
        var result = new StreamResult();
        while (await ReadFrameAsync() is { } frame)
        {
            result.All.Add(frame);
            if (frame.StreamId != streamId)
            {
                if (frame.Type == Http2FrameType.GoAway)
                {
                    result.GoAway = frame.ErrorCode;
                    return result;
                }

                continue;
            }

            switch (frame.Type)
            {
                case Http2FrameType.Headers:
                    var fields = new List<KeyValuePair<string, string>>();
                    Decoder.Decode(frame.Payload, fields);
                    result.HeaderBlocks.Add(fields);
                    break;
                case Http2FrameType.Data:
                    result.Body.Write(frame.Payload);
                    break;
                case Http2FrameType.RstStream:
                    result.Reset = frame.ErrorCode;
                    return result;
            }

            if (frame.Has(Http2FrameFlags.EndStream))
            {
                return result;
            }
        }

        result.Closed = true;
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
    }

    private async Task<bool> FillAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            while (!destination.IsEmpty)
            {
                int read = await _stream.ReadAsync(destination, cancellationToken);
                if (read == 0)
                {
                    return false;
                }

                destination = destination[read..];
            }

            return true;
        }
        catch (IOException)
        {
            // A reset counts as closed.
            return false;
        }
    }

    public sealed class StreamResult
    {
        public List<RawFrame> All { get; } = [];

        public List<List<KeyValuePair<string, string>>> HeaderBlocks { get; } = [];

        public MemoryStream Body { get; } = new();

        public Http2ErrorCode? Reset { get; set; }

        public Http2ErrorCode? GoAway { get; set; }

        public bool Closed { get; set; }

        public string? Field(string name) =>
            HeaderBlocks.SelectMany(b => b).Where(f => f.Key == name).Select(f => f.Value).FirstOrDefault();
    }
}
