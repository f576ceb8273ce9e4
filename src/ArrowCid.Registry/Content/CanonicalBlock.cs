using System.Security.Cryptography;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry.ContentAccess;

/// <summary>
/// A batch's canonical bytes and CID made in one pass over the data: a counting pass over the
/// messages (bodies are not touched) sizes the array exactly, then the bodies are copied into it
/// and hashed as they stream by. <see cref="CanonicalEncoder.Encode(RecordBatch)"/> followed by
/// <see cref="Cid.ForRaw"/> would hash the bytes twice.
/// </summary>
internal static class CanonicalBlock
{
    public static (Cid Cid, byte[] Bytes) Encode(RecordBatch batch)
    {
        var canonical = CanonicalArrays.Normalize(batch);
        using var counter = new CountingStream();
        Write(canonical, counter);
        var bytes = new byte[checked((int)counter.Length)];
        using var destination = new HashingArrayStream(bytes);
        Write(canonical, destination);
        if (destination.Position != bytes.Length)
        {
            throw new InvalidOperationException($"the canonical encoding wrote {destination.Position} bytes after measuring {bytes.Length}");
        }

        return (Cid.CreateV1(Multicodec.Raw, new Multihash(Multicodec.Sha2256, destination.FinishHash())), bytes);
    }

    // The canonical form is CanonicalEncoder's options applied to the normalised batch; the tests
    // check this agrees with CanonicalEncoder.ComputeCid byte for byte.
    private static void Write(RecordBatch canonical, Stream destination)
    {
        using var writer = new ArrowStreamWriter(destination, canonical.Schema, CanonicalEncoder.WriteOptions, leaveOpen: true);
        writer.Write(canonical);
        writer.Finish();
    }

    /// <summary>Counts what is written and drops it.</summary>
    private sealed class CountingStream : WriteOnlyStream
    {
        public override void Write(ReadOnlySpan<byte> buffer) => Advance(buffer.Length);
    }

    /// <summary>Copies what is written into a fixed array and hashes it on the way.</summary>
    private sealed class HashingArrayStream(byte[] target) : WriteOnlyStream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public byte[] FinishHash() => _hash.GetHashAndReset();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            buffer.CopyTo(target.AsSpan(checked((int)Position)));
            _hash.AppendData(buffer);
            Advance(buffer.Length);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
