using System.Buffers;
using ArrowCid.Arrow.Compression;

namespace ArrowCid.Arrow.Tests.Compression;

/// <summary>
/// Seeded mutation fuzzing of every decoder: valid frames with bit flips, truncations, inserted
/// and overwritten bytes must either decode or raise <see cref="ArrowFormatException"/>.
/// </summary>
public class CompressionFuzzTests
{
    private const int Mutations = 5_000;

    private delegate void Decoder(byte[] input, int expectedLength);

    public static TheoryData<string> Decoders() => ["zstd", "zstd-array", "lz4-frame", "lz4-block", "body-zstd", "body-lz4"];

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Mutated_inputs_only_ever_raise_ArrowFormatException(string name)
    {
        byte[] data = [.. TestData.Compressible(3000, seed: 11), .. TestData.Random(200, seed: 12)];
        (byte[] valid, Decoder decode) = Setup(name, data);
        decode(valid, data.Length); // the unmutated input decodes

        var random = new Random(name.Length * 7919);
        int rejected = 0;
        for (int i = 0; i < Mutations; i++)
        {
            byte[] mutated = Mutate(valid, random);
            int expected = random.Next(8) == 0 ? random.Next(data.Length * 2) : data.Length;
            try
            {
                decode(mutated, expected);
            }
            catch (ArrowFormatException)
            {
                rejected++;
            }
            catch (Exception other)
            {
                Assert.Fail($"{name} iteration {i}: {other.GetType().Name} escaped: {other.Message}");
            }
        }

        Assert.True(rejected > Mutations / 4, $"{name}: only {rejected} of {Mutations} rejected");
    }

    private static (byte[] Valid, Decoder Decode) Setup(string name, byte[] data)
    {
        switch (name)
        {
            case "zstd":
                return (ZstdFrame(data), (input, n) => Zstd.Decompress(input, new byte[n]));
            case "zstd-array":
                return (ZstdFrame(data), (input, n) => Zstd.DecompressToArray(input, n));
            case "lz4-frame":
            {
                byte[] buffer = new byte[Lz4Frame.CompressBound(data.Length)];
                return (buffer[..Lz4Frame.Compress(data, buffer)], (input, n) => Lz4Frame.Decompress(input, new byte[n]));
            }

            case "lz4-block":
            {
                byte[] buffer = new byte[Lz4Block.CompressBound(data.Length)];
                return (buffer[..Lz4Block.Compress(data, buffer)], (input, n) => Lz4Block.Decompress(input, new byte[n]));
            }

            default:
            {
                CompressionCodec codec = name == "body-zstd" ? CompressionCodec.Zstd : CompressionCodec.Lz4Frame;
                var writer = new ArrayBufferWriter<byte>();
                BodyCompression.CompressBuffer(codec, data, writer);
                return (writer.WrittenSpan.ToArray(), (input, n) => BodyCompression.DecompressBuffer(codec, input, n));
            }
        }
    }

    private static byte[] ZstdFrame(byte[] data)
    {
        byte[] buffer = new byte[Zstd.CompressBound(data.Length)];
        return buffer[..Zstd.Compress(data, buffer)];
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        byte[] buffer = (byte[])valid.Clone();
        switch (random.Next(5))
        {
            case 0:
                for (int flips = random.Next(1, 6); flips > 0; flips--)
                {
                    buffer[random.Next(buffer.Length)] ^= (byte)(1 << random.Next(8));
                }

                return buffer;
            case 1:
                return buffer[..random.Next(buffer.Length)];
            case 2:
                return [.. buffer, .. TestData.Random(random.Next(1, 20), random.Next())];
            case 3:
                // Header bytes hold sizes and flags: hit them harder.
                for (int edits = random.Next(1, 4); edits > 0; edits--)
                {
                    buffer[random.Next(Math.Min(buffer.Length, 16))] = (byte)random.Next(256);
                }

                return buffer;
            default:
                random.NextBytes(buffer.AsSpan(random.Next(buffer.Length - 8), 8));
                return buffer;
        }
    }
}
