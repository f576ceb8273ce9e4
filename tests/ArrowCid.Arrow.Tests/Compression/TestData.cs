namespace ArrowCid.Arrow.Tests.Compression;

/// <summary>Deterministic inputs for codec tests.</summary>
internal static class TestData
{
    public static readonly int[] Sizes = [0, 1, 7, 1000, 64 * 1024, 5 * 1024 * 1024];

    /// <summary>Random bytes: no codec can shrink them.</summary>
    public static byte[] Random(int length, int seed = 1)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Column-like bytes: small integers with repeats, which every codec shrinks.</summary>
    public static byte[] Compressible(int length, int seed = 2)
    {
        var random = new Random(seed);
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i % 4 == 0) ? random.Next(4) : (i / 97) % 5);
        }

        return bytes;
    }

    public static IEnumerable<object[]> SizesAndKinds() =>
        Sizes.SelectMany(size => new[] { new object[] { size, true }, new object[] { size, false } });

    public static byte[] Make(int size, bool compressible) => compressible ? Compressible(size) : Random(size);
}
