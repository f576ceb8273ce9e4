using System.Buffers;
using System.IO.Pipelines;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests;

/// <summary>The length-prefixed message decoder, alone and under a seeded fuzz.</summary>
public sealed class FrameDecoderTests
{
    [Fact]
    public async Task Prefix_round_trips_and_needs_the_whole_message()
    {
        byte[] frame = new byte[5 + 3];
        GrpcFrame.WritePrefix(frame, 3);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 3 }, frame[..5]);
        Assert.Equal(3, GrpcFrame.ReadPrefix(frame, 100));

        // One byte short: the reader waits for the rest and reports the truncation at the end.
        var partial = new GrpcMessageReader<FlightData>(new MemoryStream(frame, 0, 7), FlightData.Parser, 100, CancellationToken.None, FlightDataCodec.Instance);
        var error = await Assert.ThrowsAsync<RpcException>(() => partial.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("ended inside a message", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversize_length_is_rejected_from_the_prefix_alone()
    {
        // Only the prefix is present: the decoder must not wait for (or allocate) 4 GiB.
        byte[] prefix = [0, 0xFF, 0xFF, 0xFF, 0xFF];
        var error = Assert.Throws<RpcException>(() => GrpcFrame.ReadPrefix(prefix, 1024));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void Compressed_flag_is_a_protocol_error()
    {
        byte[] frame = [1, 0, 0, 0, 0];
        Assert.Equal(StatusCode.Internal, Assert.Throws<RpcException>(() => GrpcFrame.ReadPrefix(frame, 1024)).StatusCode);
    }

    [Fact]
    public async Task Messages_split_across_many_tiny_reads_are_reassembled()
    {
        byte[] wire = Encode(Enumerable.Range(0, 20).Select(i => Sample(i)).ToArray());
        var pipe = new Pipe();
        Task feed = Task.Run(async () =>
        {
            foreach (byte b in wire)
            {
                await pipe.Writer.WriteAsync(new[] { b });
            }

            await pipe.Writer.CompleteAsync();
        });
        var reader = new GrpcMessageReader<FlightData>(pipe.Reader, FlightData.Parser, 1 << 20, CancellationToken.None, FlightDataCodec.Instance);
        int count = 0;
        while (await reader.MoveNext(CancellationToken.None))
        {
            Assert.Equal(Sample(count), reader.Current);
            count++;
        }

        await feed;
        Assert.Equal(20, count);
    }

    [Fact]
    public async Task Seeded_fuzz_only_ever_throws_RpcException()
    {
        var random = new Random(20240601);
        byte[] valid = Encode(Enumerable.Range(0, 4).Select(i => Sample(i)).ToArray());
        int rejected = 0;
        for (int round = 0; round < 25_000; round++)
        {
            byte[] input = Mutate(valid, random);
            try
            {
                await DecodeAllAsync(input, random.Next(1, 64), maxMessageLength: 4096);
            }
            catch (RpcException e)
            {
                Assert.True(e.StatusCode is StatusCode.Internal or StatusCode.ResourceExhausted, e.Message);
                rejected++;
            }
        }

        // The mutations must actually exercise the error paths, not only produce valid input.
        Assert.InRange(rejected, 2_500, 25_000);
    }

    private static FlightData Sample(int i) => new()
    {
        AppMetadata = ByteString.CopyFromUtf8($"m{i}"),
        DataHeader = ByteString.CopyFrom(new byte[i * 3]),
        DataBody = ByteString.CopyFrom(Enumerable.Range(0, i * 17).Select(x => (byte)x).ToArray()),
        FlightDescriptor = i % 2 == 0 ? new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { "a", $"{i}" } } : null,
    };

    private static byte[] Encode(IEnumerable<IMessage> messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (IMessage m in messages)
        {
            GrpcMessageWriter.Write(buffer, m, int.MaxValue);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Feeds the input in chunks of <paramref name="chunk"/> bytes and reads every message.</summary>
    private static async Task DecodeAllAsync(byte[] input, int chunk, int maxMessageLength)
    {
        var pipe = new Pipe();
        for (int offset = 0; offset < input.Length; offset += chunk)
        {
            await pipe.Writer.WriteAsync(input.AsMemory(offset, Math.Min(chunk, input.Length - offset)));
        }

        await pipe.Writer.CompleteAsync();
        var reader = new GrpcMessageReader<FlightData>(pipe.Reader, FlightData.Parser, maxMessageLength, CancellationToken.None, FlightDataCodec.Instance);
        while (await reader.MoveNext(CancellationToken.None))
        {
            _ = reader.Current;
        }
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        List<byte> bytes = [.. valid];
        int edits = random.Next(1, 6);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes.RemoveRange(random.Next(bytes.Count), 1);
                    break;
                case 2:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    int cut = random.Next(bytes.Count);
                    bytes.RemoveRange(cut, bytes.Count - cut);
                    break;
                default:
                    // Corrupt a prefix-shaped spot: a flag or length byte near a message start.
                    int at = random.Next(Math.Max(1, Math.Min(bytes.Count, 5)));
                    if (at < bytes.Count)
                    {
                        bytes[at] ^= (byte)(1 << random.Next(8));
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
