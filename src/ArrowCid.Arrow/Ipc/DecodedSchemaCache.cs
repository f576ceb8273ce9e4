using System.Diagnostics.CodeAnalysis;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// Schema messages already decoded, by their exact bytes: a peer that sends many small streams of
/// one schema (a DoPut per table) has its schema read once, and every stream gets the same
/// <see cref="Types.Schema"/> object, so what is kept per schema object downstream (the encoded
/// schema message of <see cref="MetadataWriter"/>, the canonical schema) is built once too. Equal
/// bytes decode to equal schemas, and a decoded message is never changed, so sharing it is safe.
/// Only messages that decoded without error are kept; the cache is bounded in entries and in the
/// size of each message, and starts over when full.
/// </summary>
internal static class DecodedSchemaCache
{
    /// <summary>The most schema messages kept.</summary>
    internal const int MaxEntries = 64;

    /// <summary>Schema messages longer than this are decoded every time (and not kept).</summary>
    internal const int MaxMessageBytes = 64 * 1024;

    private static readonly Dictionary<byte[], DecodedMessage> Entries = new(MessageBytesComparer.Instance);
    private static readonly Dictionary<byte[], DecodedMessage>.AlternateLookup<ReadOnlySpan<byte>> BySpan =
        Entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    private static readonly Lock Gate = new();

    /// <summary>The decoded schema message of exactly these bytes, when it is kept.</summary>
    /// <param name="metadata">The Message flatbuffer of a Schema message.</param>
    /// <param name="decoded">The message as decoded before.</param>
    public static bool TryGet(ReadOnlySpan<byte> metadata, [NotNullWhen(true)] out DecodedMessage? decoded)
    {
        decoded = null;
        if (metadata.Length > MaxMessageBytes)
        {
            return false;
        }

        lock (Gate)
        {
            return BySpan.TryGetValue(metadata, out decoded);
        }
    }

    /// <summary>Keeps a schema message decoded without error from exactly these bytes (unless too long); returns it.</summary>
    /// <param name="metadata">The Message flatbuffer it was decoded from.</param>
    /// <param name="decoded">What it decoded to.</param>
    public static DecodedMessage Add(ReadOnlySpan<byte> metadata, DecodedMessage decoded)
    {
        if (metadata.Length <= MaxMessageBytes)
        {
            lock (Gate)
            {
                if (Entries.Count >= MaxEntries)
                {
                    Entries.Clear();
                }

                // A racing decode of the same bytes may have been kept first: either is as good.
                BySpan.TryAdd(metadata, decoded);
            }
        }

        return decoded;
    }

    /// <summary>How many schema messages are kept (tests).</summary>
    internal static int Count
    {
        get
        {
            lock (Gate)
            {
                return Entries.Count;
            }
        }
    }

    /// <summary>Compares message bytes by content; a span looks up without copying, and is copied when added.</summary>
    private sealed class MessageBytesComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly MessageBytesComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
