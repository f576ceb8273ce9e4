using System.Security.Cryptography;

namespace ArrowCid.Content.Tests;

/// <summary>The one SHA-256 of bytes in memory: the same digests as .NET's on both of its paths.</summary>
public sealed class Sha256Tests
{
    [Fact]
    public void Small_inputs_take_libcrypto_s_own_functions_on_linux()
    {
        // The direct path is what makes a 1 KiB publish or attach cheap; losing it silently (a
        // renamed library, a failed self-test) would only show as a slower benchmark.
        Assert.Equal(OperatingSystem.IsLinux(), Sha256.UsesDirectPath);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(64)]
    [InlineData(1_232)]
    [InlineData(Sha256.DirectLimit - 1)]
    [InlineData(Sha256.DirectLimit)]
    [InlineData(Sha256.DirectLimit + 1)]
    [InlineData(1 << 20)]
    public void Digests_equal_dotnet_s_on_either_side_of_the_direct_limit(int length)
    {
        byte[] data = new byte[length + 3];
        new Random(length).NextBytes(data);
        // An unaligned slice, as a span into a larger buffer usually is.
        var input = data.AsSpan(3, length);

        byte[] expected = SHA256.HashData(input);
        Span<byte> digest = stackalloc byte[Sha256.DigestBytes + 4];
        digest.Fill(0xAA);
        Sha256.HashData(input, digest);

        Assert.Equal(expected, Sha256.HashData(input));
        Assert.Equal(expected, digest[..Sha256.DigestBytes].ToArray());
        Assert.True(digest[Sha256.DigestBytes..].ToArray().All(b => b == 0xAA)); // nothing written past the digest
    }

    [Fact]
    public void A_short_destination_is_refused()
    {
        byte[] digest = new byte[Sha256.DigestBytes - 1];
        Assert.Throws<ArgumentException>(() => Sha256.HashData([1, 2, 3], digest));
    }

    [Fact]
    public void Threads_hashing_at_once_each_get_their_own_digest()
    {
        // The direct path's context lives on each call's stack: nothing is shared between callers.
        var inputs = Enumerable.Range(0, 64).Select(i => Enumerable.Range(0, 900 + i).Select(j => (byte)(i * j)).ToArray()).ToArray();
        var results = new byte[inputs.Length][];
        Parallel.For(0, inputs.Length * 50, n =>
        {
            int i = n % inputs.Length;
            byte[] digest = Sha256.HashData(inputs[i]);
            results[i] = digest;
            Assert.Equal(SHA256.HashData(inputs[i]), digest);
        });
        Assert.All(results, Assert.NotNull);
    }
}
