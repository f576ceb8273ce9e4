using System.Buffers;
using ArrowCid.Registry;
using static ArrowCid.Repository.LogFields;

namespace ArrowCid.Repository;

/// <summary>Where an earlier record of a log gave a schema in full: the log entry's position and the record's index in it.</summary>
/// <param name="Entry">The entry's position in its log.</param>
/// <param name="Record">The record's index in the entry.</param>
internal readonly record struct LoggedSchema(long Entry, int Record);

/// <summary>
/// A group's block records as one write-ahead log entry (see <see cref="ILoggedCommits"/>), kept
/// small because every put writes one: version byte 1, the record count, then each record's CID,
/// kind, schema, rows, bytes, creation time (µs, 8 bytes), producer, provenance, pinned flag, tags,
/// locations and links. Counts, lengths and numbers are the multiformats unsigned varints (LEB128, at
/// most 63 bits; rows and bytes zigzagged);
/// a string is its UTF-8 length plus one (0 for null) and its bytes. A schema is given in full or,
/// when an earlier record of the same log gave it, as a reference to that record
/// (<see cref="LoggedSchema"/>): puts of one table shape repeat it, and it is most of a row. Every
/// field <see cref="IRegistry.Upsert"/> stores is kept, so replaying an entry stores what the
/// commit it stands in for would have.
/// </summary>
internal static class LoggedRows
{
    private const byte FormatVersion = 1;
    private const byte SchemaNull = 0;
    private const byte SchemaText = 1;
    private const byte SchemaReference = 2;

    /// <summary>Encodes records (each with its creation time set, so a replay stamps the same one).</summary>
    /// <param name="records">The records.</param>
    /// <param name="schemaReference">
    /// Called with each record's schema and index: an earlier record of the same log that gave it
    /// in full, or null to give it in full here. Null: every schema in full.
    /// </param>
    /// <returns>The entry's payload.</returns>
    public static byte[] Encode(IReadOnlyList<BlockRecord> records, Func<string, int, LoggedSchema?>? schemaReference = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var writer = new ArrayBufferWriter<byte>(128 * Math.Max(1, records.Count));
        WriteByte(writer, FormatVersion);
        WriteVarint(writer, (ulong)records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            WriteCid(writer, record.Cid);
            WriteByte(writer, (byte)record.Kind);
            if (record.Schema is null)
            {
                WriteByte(writer, SchemaNull);
            }
            else if (schemaReference?.Invoke(record.Schema, i) is { } reference)
            {
                WriteByte(writer, SchemaReference);
                WriteVarint(writer, (ulong)reference.Entry);
                WriteVarint(writer, (ulong)reference.Record);
            }
            else
            {
                WriteByte(writer, SchemaText);
                WriteString(writer, record.Schema);
            }

            WriteSigned(writer, record.Rows);
            WriteSigned(writer, record.Bytes);
            WriteInt64(writer, RegistryTime.ToMicroseconds(record.Created));
            WriteString(writer, record.Producer);
            WriteString(writer, record.Provenance);
            WriteByte(writer, record.Pinned ? (byte)1 : (byte)0);
            WriteVarint(writer, (ulong)record.Tags.Count);
            foreach (var (key, value) in record.Tags)
            {
                WriteString(writer, key);
                WriteString(writer, value);
            }

            WriteVarint(writer, (ulong)record.Locations.Count);
            foreach (string location in record.Locations)
            {
                WriteString(writer, location);
            }

            WriteVarint(writer, (ulong)record.Links.Count);
            foreach (var link in record.Links)
            {
                WriteCid(writer, link);
            }
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes an entry written by <see cref="Encode"/>.</summary>
    /// <param name="payload">The entry's payload.</param>
    /// <param name="position">The entry's position in its log (a schema reference may name a record of the entry itself).</param>
    /// <param name="resolveSchema">Reads the schema an earlier entry's record gave in full (null when there is none); needed only for references to other entries.</param>
    /// <returns>The records, in the order logged.</returns>
    /// <exception cref="InvalidDataException">The payload is not an entry this build reads, or a reference does not resolve.</exception>
    public static IReadOnlyList<BlockRecord> Decode(ReadOnlySpan<byte> payload, long position = -1, Func<LoggedSchema, string?>? resolveSchema = null)
    {
        var reader = new LogFieldReader(payload, "A logged registry entry");
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
            string? schema = reader.Byte() switch
            {
                SchemaNull => null,
                SchemaText => reader.String(),
                SchemaReference => Resolve(new LoggedSchema((long)reader.Varint(), (int)Math.Min(reader.Varint(), int.MaxValue))),
                _ => throw new InvalidDataException("A logged registry entry has an unknown schema form."),
            };
            long rows = reader.Signed();
            long bytes = reader.Signed();
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
            var links = new List<Content.Multiformats.Cid>(linkCount);
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
                Links = links,
            });
        }

        return reader.AtEnd ? records : throw new InvalidDataException("A logged registry entry has bytes after its last record.");

        string Resolve(LoggedSchema reference)
        {
            string? found = reference.Entry == position
                ? reference.Record < records.Count ? records[reference.Record].Schema : null
                : reference.Entry < position ? resolveSchema?.Invoke(reference) : null;
            return found ?? throw new InvalidDataException($"A logged registry entry names the schema of record {reference.Record} of the entry at {reference.Entry}, which gives none.");
        }
    }
}
