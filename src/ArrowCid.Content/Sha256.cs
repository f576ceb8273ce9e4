using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace ArrowCid.Content;

/// <summary>
/// SHA-256 of bytes in memory: the one place the product hashes a block it holds whole. A small
/// block (a 1 KiB batch published or attached through shared memory, a manifest node) costs as
/// much in the call as in the hashing through <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>:
/// on OpenSSL 3 each call sets up and tears down an EVP digest context (0.94 µs for 1,232 bytes
/// on the 2-core machine, 0.59 µs of it hashing). Up to <see cref="DirectLimit"/> bytes are hashed
/// through libcrypto's own SHA-256 functions, the same implementation (SHA-NI where the CPU has
/// it) without the context (0.64 µs); larger inputs, and systems where those functions cannot be
/// found or fail the self-test at start, use <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>.
/// </summary>
public static unsafe class Sha256
{
    /// <summary>Bytes in a digest.</summary>
    public const int DigestBytes = 32;

    /// <summary>
    /// Inputs up to this many bytes take the direct path. Its calls skip the GC transition (a
    /// call that ends within microseconds: 16 KiB hash in about 8 µs here), which a longer call
    /// must not do; beyond it the saving is a few percent anyway. (Bytes of a file mapped from a
    /// disk may fault in during the call, at most five pages; a collection waits for them.)
    /// </summary>
    public const int DirectLimit = 16 << 10;

    // OpenSSL's SHA256_CTX is 112 bytes (eight state words, two length words, a 64-byte block,
    // two counters); the room given is larger.
    private const int ContextBytes = 256;

    private static readonly Direct? Functions = Direct.Load();

    /// <summary>Whether small inputs are hashed through libcrypto's SHA-256 functions directly (for tests and diagnostics).</summary>
    public static bool UsesDirectPath => Functions is not null;

    /// <summary>Writes the SHA-256 digest of <paramref name="data"/> to <paramref name="digest"/>.</summary>
    /// <param name="data">The bytes to hash.</param>
    /// <param name="digest">At least <see cref="DigestBytes"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is shorter than a digest.</exception>
    public static void HashData(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        if (digest.Length < DigestBytes)
        {
            throw new ArgumentException($"a SHA-256 digest takes {DigestBytes} bytes", nameof(digest));
        }

        if (data.Length > DirectLimit || Functions is not { } direct || !direct.TryHash(data, digest))
        {
            SHA256.HashData(data, digest);
        }
    }

    /// <summary>The SHA-256 digest of <paramref name="data"/>.</summary>
    /// <param name="data">The bytes to hash.</param>
    /// <returns>A new 32-byte array.</returns>
    public static byte[] HashData(ReadOnlySpan<byte> data)
    {
        byte[] digest = new byte[DigestBytes];
        HashData(data, digest);
        return digest;
    }

    // libcrypto's SHA256_Init/Update/Final (deprecated in OpenSSL 3 in favour of EVP, still
    // exported by 1.1 and 3.x with this ABI), reached through the library .NET itself loads.
    private sealed class Direct
    {
        private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, int> _init;
        private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, nuint, int> _update;
        private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, int> _final;

        private Direct(nint init, nint update, nint final)
        {
            _init = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, int>)init;
            _update = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, nuint, int>)update;
            _final = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, int>)final;
        }

        public static Direct? Load()
        {
            if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("ARROWCID_SHA256_EVP") == "1")
            {
                return null;
            }

            foreach (string name in (ReadOnlySpan<string>)["libcrypto.so.3", "libcrypto.so.1.1"])
            {
                if (!NativeLibrary.TryLoad(name, out nint library))
                {
                    continue;
                }

                // The library stays loaded for the process's life (.NET's own crypto uses it too).
                if (NativeLibrary.TryGetExport(library, "SHA256_Init", out nint init)
                    && NativeLibrary.TryGetExport(library, "SHA256_Update", out nint update)
                    && NativeLibrary.TryGetExport(library, "SHA256_Final", out nint final))
                {
                    var direct = new Direct(init, update, final);
                    return direct.PassesSelfTest() ? direct : null;
                }
            }

            return null;
        }

        public bool TryHash(ReadOnlySpan<byte> data, Span<byte> digest)
        {
            byte* context = stackalloc byte[ContextBytes];
            fixed (byte* input = data)
            fixed (byte* output = digest)
            {
                return _init(context) == 1 && _update(context, input, (nuint)data.Length) == 1 && _final(output, context) == 1;
            }
        }

        // The direct path is used only if it gives the very digests the EVP path gives, across the
        // block boundaries where padding changes (55, 56, 64 bytes) and beyond one block.
        private bool PassesSelfTest()
        {
            byte[] input = new byte[1000];
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = (byte)((i * 131) + 7);
            }

            Span<byte> direct = stackalloc byte[DigestBytes];
            Span<byte> expected = stackalloc byte[DigestBytes];
            foreach (int length in (ReadOnlySpan<int>)[0, 1, 55, 56, 63, 64, 65, 119, 120, 1000])
            {
                if (!TryHash(input.AsSpan(0, length), direct))
                {
                    return false;
                }

                SHA256.HashData(input.AsSpan(0, length), expected);
                if (!direct.SequenceEqual(expected))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
