using System.Buffers;
using System.IO.Pipelines;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests;

/// <summary>
/// The reader's two paths: small messages through its staging buffer, large ones read into an
/// array of their own with FlightData's data_body left in place. Both must give exactly what
/// protobuf gives, with the same limits and errors, however the bytes are split.
/// </summary>
public sealed class LargeMessageReaderTests
{
    private const int Threshold = GrpcMessageReader<FlightData>.LargeMessageThreshold;

    public static TheoryData<int, int> SizesAndChunks() => new()
    {
        { 0, 1 },
        { Threshold - 200, 7 },
        { Threshold - 20, 4096 },
        { Threshold + 1, 1 },
        { Threshold + 1, 65_536 },
        { (1 << 20) + 3, 4096 },
        { (1 << 20) + 3, 100_003 },
        { 3 << 20, 1 << 20 },
    };

    [Theory]
    [MemberData(nameof(SizesAndChunks))]
    public async Task Messages_below_and_above_the_threshold_round_trip_however_they_are_split(int bodyLength, int chunk)
    {
        FlightData[] messages = [Sample(bodyLength, 1), Sample(17, 2), Sample(bodyLength, 3)];
        List<FlightData> read = await ReadAllAsync(Encode(messages), chunk, maxMessageLength: 8 << 20);
        Assert.Equal(messages, read);
    }

    [Fact]
    public async Task A_large_message_is_not_mixed_up_with_the_next_one_staged_behind_it()
    {
        // One write holds the end of a large message and a whole small one: the reader must split them exactly.
        FlightData large = Sample(Threshold * 3, 9);
        FlightData small = Sample(5, 10);
        List<FlightData> read = await ReadAllAsync(Encode([large, small, large]), chunk: (Threshold * 3) + 100, maxMessageLength: 1 << 20);
        Assert.Equal([large, small, large], read);
    }

    [Fact]
    public async Task Over_the_limit_is_resource_exhausted_from_the_prefix_alone()
    {
        // Only the prefix arrives and the stream stays open: the reader must refuse at once, not wait for the body.
        var pipe = new Pipe();
        byte[] prefix = new byte[GrpcFrame.PrefixLength];
        GrpcFrame.WritePrefix(prefix, (4 << 20) + 1);
        await pipe.Writer.WriteAsync(prefix);
        var reader = new GrpcMessageReader<FlightData>(pipe.Reader, FlightData.Parser, 4 << 20, CancellationToken.None, FlightDataCodec.Instance);
        var error = await Assert.ThrowsAsync<RpcException>(() => reader.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("larger than the limit of 4194304 bytes", error.Status.Detail, StringComparison.Ordinal);

        // A failed reader keeps failing the same way.
        Assert.Same(error, await Assert.ThrowsAsync<RpcException>(() => reader.MoveNext(CancellationToken.None)));
    }

    [Theory]
    [InlineData(Threshold + 10, 100)]
    [InlineData(2 << 20, (1 << 20) + 7)]
    [InlineData(100, 50)]
    public async Task A_stream_ending_inside_a_message_is_a_clear_internal_error(int declared, int sent)
    {
        byte[] wire = new byte[GrpcFrame.PrefixLength + sent];
        GrpcFrame.WritePrefix(wire, declared);
        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(wire, 4096, maxMessageLength: 4 << 20));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal($"the stream ended inside a message ({GrpcFrame.PrefixLength + sent} bytes of an incomplete message left)", error.Status.Detail);
    }

    [Fact]
    public async Task A_large_message_that_is_not_protobuf_is_internal()
    {
        byte[] payload = new byte[Threshold + 100];
        payload.AsSpan().Fill(0xFF);
        byte[] wire = [.. Prefix(payload.Length), .. payload];
        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(wire, 1 << 16, maxMessageLength: 1 << 20));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.StartsWith("cannot parse a FlightData message", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Field_order_repeats_and_unknown_fields_parse_as_protobuf_parses_them()
    {
        // data_body first, a second data_body later (protobuf keeps the last), fields after it,
        // an unknown field and a field 1000 with the wrong wire type (an unknown field to protobuf).
        byte[] firstBody = Enumerable.Range(0, Threshold + 5).Select(i => (byte)i).ToArray();
        byte[] lastBody = Enumerable.Range(0, Threshold + 9).Select(i => (byte)(i * 7)).ToArray();
        var stream = new MemoryStream();
        var writer = new CodedOutputStream(stream);
        writer.WriteTag(1000, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(ByteString.CopyFrom(firstBody));
        writer.WriteTag(3, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(ByteString.CopyFromUtf8("meta"));
        writer.WriteTag(77, WireFormat.WireType.Varint);
        writer.WriteUInt64(123456789);
        writer.WriteTag(1000, WireFormat.WireType.Varint);
        writer.WriteUInt32(5);
        writer.WriteTag(1000, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(ByteString.CopyFrom(lastBody));
        writer.WriteTag(2, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(ByteString.CopyFromUtf8("header"));
        writer.WriteTag(1, WireFormat.WireType.LengthDelimited);
        writer.WriteMessage(new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { "p" } });
        writer.Flush();
        byte[] payload = stream.ToArray();

        FlightData expected = FlightData.Parser.ParseFrom(payload);
        List<FlightData> read = await ReadAllAsync([.. Prefix(payload.Length), .. payload], 1000, maxMessageLength: 1 << 20);
        FlightData actual = Assert.Single(read);
        Assert.Equal(expected, actual);
        Assert.Equal(lastBody, actual.DataBody.ToByteArray());
        Assert.Equal(expected.ToByteArray(), actual.ToByteArray());
    }

    [Fact]
    public void Owned_parsing_agrees_with_protobuf_on_seeded_mutations()
    {
        // Every mutated payload either parses to exactly protobuf's message or fails as protobuf fails.
        var random = new Random(5_1000);
        byte[] valid = Sample(300, 4).ToByteArray();
        int agreedFailures = 0;
        for (int round = 0; round < 20_000; round++)
        {
            byte[] input = (byte[])valid.Clone();
            for (int edits = random.Next(1, 4); edits > 0; edits--)
            {
                int at = random.Next(input.Length);
                input[at] = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)(input[at] ^ (1 << random.Next(8)));
            }

            if (random.Next(4) == 0)
            {
                input = input[..random.Next(input.Length)];
            }

            FlightData? expected = null;
            try
            {
                expected = FlightData.Parser.ParseFrom(input);
            }
            catch (InvalidProtocolBufferException)
            {
            }

            if (expected is null)
            {
                Assert.Throws<InvalidProtocolBufferException>(() => FlightDataParsing.ParseOwned(input));
                agreedFailures++;
            }
            else
            {
                Assert.Equal(expected, FlightDataParsing.ParseOwned(input));
            }
        }

        Assert.InRange(agreedFailures, 500, 19_500);
    }

    private static FlightData Sample(int bodyLength, int seed) => new()
    {
        FlightDescriptor = new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { $"d{seed}" } },
        DataHeader = ByteString.CopyFrom(Enumerable.Range(0, 24).Select(i => (byte)(i + seed)).ToArray()),
        AppMetadata = ByteString.CopyFromUtf8($"meta {seed}"),
        DataBody = ByteString.CopyFrom(Enumerable.Range(0, bodyLength).Select(i => (byte)((i * 31) + seed)).ToArray()),
    };

    private static byte[] Prefix(int length)
    {
        byte[] prefix = new byte[GrpcFrame.PrefixLength];
        GrpcFrame.WritePrefix(prefix, length);
        return prefix;
    }

    private static byte[] Encode(IEnumerable<IMessage> messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (IMessage m in messages)
        {
            GrpcMessageWriter.Write(buffer, m, int.MaxValue);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads every message of <paramref name="wire"/> from a stream that returns at most <paramref name="chunk"/> bytes per read.</summary>
    private static async Task<List<FlightData>> ReadAllAsync(byte[] wire, int chunk, int maxMessageLength)
    {
        var reader = new GrpcMessageReader<FlightData>(new TrickleStream(wire, chunk), FlightData.Parser, maxMessageLength, CancellationToken.None, FlightDataCodec.Instance);
        var messages = new List<FlightData>();
        while (await reader.MoveNext(CancellationToken.None))
        {
            messages.Add(reader.Current);
        }

        Assert.True(reader.HasEnded);
        return messages;
    }

    /// <summary>A read-only stream over bytes that hands out at most a fixed number per read, every other read completing asynchronously.</summary>
    private sealed class TrickleStream(byte[] bytes, int chunk) : Stream
    {
        private int _position;
        private bool _yield;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _yield = !_yield;
            if (_yield)
            {
                await Task.Yield();
            }

            return Read(buffer.Span);
        }

        public override int Read(Span<byte> buffer)
        {
            int count = Math.Min(Math.Min(chunk, buffer.Length), bytes.Length - _position);
            bytes.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
