using ArrowCid.Parquet.Codecs;

namespace ArrowCid.Parquet.Tests.Codecs;

/// <summary>
/// Our snappy compressor against an independent decoder (IronSnappy) on inputs that reach every
/// element form: empty and tiny inputs, incompressible bytes, long runs (copies split into
/// pieces, overlapping copies), near and far matches (1- and 2-byte offsets), literals needing
/// 1 and 2 length bytes, and inputs crossing the 64 KiB block boundary.
/// </summary>
public class SnappyEncoderTests
{
    public static TheoryData<string, int> Inputs => new()
    {
        { "empty", 0 }, { "one", 1 }, { "four", 4 }, { "five", 5 }, { "random", 1000 }, { "random", 200_000 },
        { "run", 70 }, { "run", 100_000 }, { "letters", 300_000 }, { "text", 150_000 }, { "mixed", 140_000 },
        { "far", 70_000 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Compressed_blocks_decode_to_the_input(string kind, int length)
    {
        byte[] input = Make(kind, length, new Random(length));
        byte[] buffer = new byte[SnappyEncoder.MaxCompressedLength(input.Length)];
        int written = SnappyEncoder.Compress(input, buffer);
        byte[] compressed = buffer.AsSpan(0, written).ToArray();
        Assert.Equal(input, IronSnappy.Snappy.Decode(compressed));
        Assert.Equal(input, new SnappyCodec().Decompress(compressed, input.Length));
        Assert.Equal(compressed, new SnappyCodec().Compress(input));
        if (kind is "run" or "text" && length > 1000)
        {
            // Repetitive input must really be compressed, not stored as literals.
            Assert.True(written < input.Length / 4, $"{kind}: {written} of {input.Length} bytes");
        }
    }

    private static byte[] Make(string kind, int length, Random random)
    {
        byte[] data = new byte[length];
        switch (kind)
        {
            case "random":
                random.NextBytes(data);
                break;
            case "run":
                data.AsSpan().Fill(7);
                break;
            case "letters":
                for (int i = 0; i < length; i++)
                {
                    data[i] = (byte)('a' + random.Next(26));
                }
                break;
            case "text":
                byte[] words = "the quick brown fox jumps over the lazy dog and "u8.ToArray();
                for (int i = 0; i < length; i++)
                {
                    data[i] = words[(i * 7 / 5) % words.Length];
                }
                break;
            case "far":
                // A random stretch repeated 40,000 bytes later: offsets of 2 bytes across a block.
                random.NextBytes(data.AsSpan(0, 40_000));
                data.AsSpan(0, 30_000).CopyTo(data.AsSpan(40_000));
                break;
            case "mixed":
                for (int i = 0; i < length; i += 1000)
                {
                    Span<byte> piece = data.AsSpan(i, Math.Min(1000, length - i));
                    if (i / 1000 % 3 == 0)
                    {
                        random.NextBytes(piece);
                    }
                    else
                    {
                        piece.Fill((byte)(i / 1000));
                    }
                }
                break;
            default:
                for (int i = 0; i < length; i++)
                {
                    data[i] = (byte)i;
                }
                break;
        }
        return data;
    }
}
