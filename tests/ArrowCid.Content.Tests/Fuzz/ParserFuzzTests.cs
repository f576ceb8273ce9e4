using ArrowCid.Content.Car;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Tests.Car;

namespace ArrowCid.Content.Tests.Fuzz;

/// <summary>
/// Seeded fuzzing: each parser gets 20,000 mutated valid inputs and may only fail with
/// ContentFormatException. Inputs are small and every parser's work is bounded by its input, so a
/// hang shows up as the test never finishing rather than through a wall-clock assertion.
/// </summary>
public class ParserFuzzTests
{
    private const int Iterations = 20_000;

    [Fact]
    public void Varint_reader()
    {
        var seeds = new ulong[] { 0, 1, 127, 128, 300, 16384, uint.MaxValue, long.MaxValue }.Select(Varint.ToBytes).ToArray();
        int valid = Run(1, seeds, input =>
        {
            ulong value = Varint.Read(input, out int read);
            Assert.InRange(read, 1, Varint.MaxLength);
            Assert.Equal(input.AsSpan(0, read).ToArray(), Varint.ToBytes(value)); // accepted means canonical
        });
        Assert.InRange(valid, 1, Iterations - 1);
    }

    [Fact]
    public void Cid_binary_reader()
    {
        var seeds = new[]
        {
            Cid.ForRaw([1, 2, 3]).ToBytes(),
            Cid.ForDagCbor([0xa0]).ToBytes(),
            Cid.Parse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n").ToBytes(),
            Cid.CreateV1(Multicodec.Raw, Multihash.Identity([9, 8, 7])).ToBytes(),
        };
        int valid = Run(2, seeds, input =>
        {
            var cid = Cid.Read(input, out int read);
            Assert.Equal(input.AsSpan(0, read).ToArray(), cid.ToBytes());
            Assert.Equal(cid, Cid.Parse(cid.ToString()));
        });
        Assert.InRange(valid, 1, Iterations - 1);
    }

    [Fact]
    public void Cid_text_parser()
    {
        var texts = new[] { Cid.ForRaw([1]).ToString(), Cid.ForRaw([2]).ToString('z'), Cid.ForRaw([3]).ToString('u'), "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n" };
        var seeds = texts.Select(t => t.Select(c => (byte)c).ToArray()).ToArray();
        Run(3, seeds, input => Cid.Parse(new string(input.Select(b => (char)b).ToArray())));
    }

    [Fact]
    public void DagCbor_decoder()
    {
        var seeds = new[]
        {
            DagNode.MapOf(
                ("a", DagNode.Of(-1000L)),
                ("bb", DagNode.ListOf(DagNode.Of(1.5), DagNode.Null, DagNode.True, DagNode.Of(ulong.MaxValue))),
                ("ccc", DagNode.OfBytes([1, 2, 3, 4, 5])),
                ("link", DagNode.Of(Cid.ForRaw([7]))),
                ("text", DagNode.Of("h\u00e9llo w\u00f6rld"))),
            DagNode.ListOf(DagNode.ListOf(DagNode.ListOf(DagNode.MapOf(("k", DagNode.Of(long.MinValue)))))),
            DagNode.Of(Cid.Parse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n")),
        }.Select(DagCborEncoder.Encode).Append(CarTestData.Blocks()[0].Data).ToArray();
        int valid = Run(4, seeds, input =>
        {
            var node = DagCborDecoder.Decode(input);
            Assert.Equal(input, DagCborEncoder.Encode(node)); // accepted means canonical
        });
        Assert.InRange(valid, 1, Iterations - 1);
    }

    [Fact]
    public void CarV1_reader()
    {
        var seeds = new[] { CarTestData.CarV1(out _) };
        var options = new CarReaderOptions { MaxBlockLength = 1 << 16, MaxHeaderLength = 1 << 12 };
        int valid = Run(5, seeds, input =>
        {
            var reader = CarReader.Open(new MemoryStream(input), options);
            Assert.InRange(reader.ReadBlocks().Count(), 0, input.Length);
        });
        Assert.InRange(valid, 1, Iterations - 1);
    }

    [Fact]
    public void CarV2_readers()
    {
        var seeds = new[] { CarTestData.CarV2(out var blocks) };
        var hashes = blocks.Select(b => b.Cid.Hash).ToArray();
        var options = new CarReaderOptions { MaxBlockLength = 1 << 16, MaxHeaderLength = 1 << 12, MaxIndexLength = 1 << 14 };
        int valid = Run(6, seeds, input =>
        {
            Assert.InRange(CarReader.Open(new MemoryStream(input), options).ReadBlocks().Count(), 0, input.Length);
            var reader = CarV2Reader.Open(new MemoryStream(input), options);
            foreach (var hash in hashes)
            {
                if (reader.TryGetBlock(hash, out var block))
                {
                    Assert.Equal(hash, block.Cid.Hash);
                }
            }
        });
        Assert.InRange(valid, 1, Iterations - 1);
    }

    // Runs the parser over mutated seeds; returns how many inputs it accepted.
    private static int Run(int seed, byte[][] seeds, Action<byte[]> parse)
    {
        var mutator = new Mutator(seed);
        int valid = 0;
        for (int i = 0; i < Iterations; i++)
        {
            var input = mutator.Mutate(seeds[i % seeds.Length]);
            try
            {
                parse(input);
                valid++;
            }
            catch (ContentFormatException)
            {
                // The one documented failure of malformed input.
            }
            catch (ArrowCid.Content.Car.UnsupportedHashFunctionException)
            {
                // The CAR readers' typed refusal of a well-formed section whose hash function cannot be verified.
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"Input #{i} (seed {seed}) escaped with {e.GetType().Name}: {Convert.ToHexStringLower(input)}", e);
            }
        }

        return valid;
    }
}
