using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>
/// A group's block records as one write-ahead log entry (see <see cref="ILoggedCommits"/>):
/// version byte 1, the record count (u32), then each record's CID, kind, schema, rows, bytes,
/// creation time (µs), producer, provenance, pinned flag, tags, locations and links, little-endian,
/// strings and CIDs as a u32 length and their bytes (length 0xFFFFFFFF for a null string). Every
/// field <see cref="IRegistry.Upsert"/> stores is kept, so replaying an entry stores what the
/// commit it stands in for would have.
/// </summary>
public static class LoggedRows
{
    private const byte FormatVersion = 1;
    private const uint NullLength = uint.MaxValue;

    /// <summary>Encodes records (each with its creation time set, so a replay stamps the same one).</summary>
    /// <param name="records">The records.</param>
    /// <returns>The entry's payload.</returns>
    public static byte[] Encode(IReadOnlyList<BlockRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var writer = new ArrayBufferWriter<byte>(256 * Math.Max(1, records.Count));
        writer.GetSpan(1)[0] = FormatVersion;
        writer.Advance(1);
        WriteUInt32(writer, (uint)records.Count);
        foreach (var record in records)
        {
            WriteBytes(writer, record.Cid.Bytes);
            writer.GetSpan(1)[0] = (byte)record.Kind;
            writer.Advance(1);
            WriteString(writer, record.Schema);
            WriteInt64(writer, record.Rows);
            WriteInt64(writer, record.Bytes);
            WriteInt64(writer, RegistryTime.ToMicroseconds(record.Created));
            WriteString(writer, record.Producer);
            WriteString(writer, record.Provenance);
            writer.GetSpan(1)[0] = record.Pinned ? (byte)1 : (byte)0;
            writer.Advance(1);
            WriteUInt32(writer, (uint)record.Tags.Count);
            foreach (var (key, value) in record.Tags)
            {
                WriteString(writer, key);
                WriteString(writer, value);
            }

            WriteUInt32(writer, (uint)record.Locations.Count);
            foreach (string location in record.Locations)
            {
                WriteString(writer, location);
            }

            WriteUInt32(writer, (uint)record.Batches.Count);
            foreach (var link in record.Batches)
            {
                WriteBytes(writer, link.Bytes);
            }
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes an entry written by <see cref="Encode"/>.</summary>
    /// <param name="payload">The entry's payload.</param>
    /// <returns>The records, in the order logged.</returns>
    /// <exception cref="InvalidDataException">The payload is not an entry this build reads.</exception>
    public static IReadOnlyList<BlockRecord> Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new Reader(payload);
        byte version = reader.Byte();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"A logged registry entry of version {version}; this build reads version {FormatVersion}.");
        }

        int count = reader.Count();
        var records = new List<BlockRecord>(count);
        for (int i = 0; i < count; i++)
        {
            var cid = reader.Cid();
            var kind = (BlockKind)reader.Byte();
            string? schema = reader.String();
            long rows = reader.Int64();
            long bytes = reader.Int64();
            var created = RegistryTime.FromMicroseconds(reader.Int64());
            string? producer = reader.String();
            string? provenance = reader.String();
            bool pinned = reader.Byte() != 0;
            int tagCount = reader.Count();
            var tags = new Dictionary<string, string>(tagCount, StringComparer.Ordinal);
            for (int t = 0; t < tagCount; t++)
            {
                tags[reader.String() ?? string.Empty] = reader.String() ?? string.Empty;
            }

            int locationCount = reader.Count();
            var locations = new List<string>(locationCount);
            for (int l = 0; l < locationCount; l++)
            {
                locations.Add(reader.String() ?? string.Empty);
            }

            int linkCount = reader.Count();
            var links = new List<Cid>(linkCount);
            for (int b = 0; b < linkCount; b++)
            {
                links.Add(reader.Cid());
            }

            records.Add(new BlockRecord
            {
                Cid = cid,
                Kind = kind,
                Schema = schema,
                Rows = rows,
                Bytes = bytes,
                Created = created,
                Producer = producer,
                Provenance = provenance,
                Pinned = pinned,
                Tags = tags,
                Locations = locations,
                Batches = links,
            });
        }

        return reader.AtEnd ? records : throw new InvalidDataException("A logged registry entry has bytes after its last record.");
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> writer, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    private static void WriteBytes(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        WriteUInt32(writer, (uint)bytes.Length);
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }

    private static void WriteString(ArrayBufferWriter<byte> writer, string? text)
    {
        if (text is null)
        {
            WriteUInt32(writer, NullLength);
            return;
        }

        int length = Encoding.UTF8.GetByteCount(text);
        WriteUInt32(writer, (uint)length);
        writer.Advance(Encoding.UTF8.GetBytes(text, writer.GetSpan(length)));
    }

    // Reads the fields in turn; any short or out-of-range read is a format error, never an index exception.
    private ref struct Reader(ReadOnlySpan<byte> payload)
    {
        private readonly ReadOnlySpan<byte> _payload = payload;
        private int _at;

        public readonly bool AtEnd => _at == _payload.Length;

        public byte Byte() => Take(1)[0];

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        // A count of items that each take at least one byte, so a damaged count cannot ask for more than is there.
        public int Count()
        {
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
            return count <= (uint)(_payload.Length - _at) ? (int)count : throw Damaged();
        }

        public string? String()
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
            return length == NullLength ? null : Encoding.UTF8.GetString(Take(length));
        }

        public Cid Cid()
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
            try
            {
                return Content.Multiformats.Cid.FromBytes(Take(length));
            }
            catch (ContentFormatException e)
            {
                throw new InvalidDataException("A logged registry entry holds a malformed CID.", e);
            }
        }

        private ReadOnlySpan<byte> Take(uint length)
        {
            if (length > (uint)(_payload.Length - _at))
            {
                throw Damaged();
            }

            var taken = _payload.Slice(_at, (int)length);
            _at += (int)length;
            return taken;
        }

        private static InvalidDataException Damaged() => new("A logged registry entry is shorter than its fields say.");
    }
}
