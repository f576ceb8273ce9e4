using System.Security.Cryptography;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores;

/// <summary>
/// Checks content against a CID piece by piece, for blocks that arrive or are read as streams.
/// sha2-256 is hashed incrementally; identity content (at most 128 bytes) is collected and compared.
/// </summary>
internal sealed class BlockHasher : IDisposable
{
    private readonly Cid _cid;
    private readonly IncrementalHash? _sha256;
    private readonly MemoryStream? _identity;
    private bool _identityOverflow;

    public BlockHasher(Cid cid)
    {
        _cid = cid;
        if (cid.Hash.Code == Multicodec.Sha2256)
        {
            _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
        else
        {
            // Multihash refuses every code but sha2-256 and identity, so this is identity.
            _identity = new MemoryStream();
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_sha256 != null)
        {
            _sha256.AppendData(data);
        }
        else if (!_identityOverflow)
        {
            // Identity content longer than its digest cannot match; stop collecting so a hostile
            // stream cannot make us buffer it.
            if (_identity!.Length + data.Length > _cid.Hash.Digest.Length)
            {
                _identityOverflow = true;
            }
            else
            {
                _identity.Write(data);
            }
        }
    }

    /// <summary>Whether everything appended is the content the CID names. Call once, at the end.</summary>
    public bool Matches()
    {
        if (_sha256 != null)
        {
            Span<byte> digest = stackalloc byte[Multihash.Sha256DigestLength];
            _sha256.GetHashAndReset(digest);
            return CryptographicOperations.FixedTimeEquals(digest, _cid.Hash.Digest);
        }

        return !_identityOverflow && _identity!.GetBuffer().AsSpan(0, (int)_identity.Length).SequenceEqual(_cid.Hash.Digest);
    }

    public void Dispose()
    {
        _sha256?.Dispose();
        _identity?.Dispose();
    }
}
