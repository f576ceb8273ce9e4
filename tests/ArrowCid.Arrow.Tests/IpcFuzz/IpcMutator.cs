using System.Buffers.Binary;
using System.Text;

namespace ArrowCid.Arrow.Tests.IpcFuzz;

/// <summary>
/// Seeded mutations of a valid Arrow IPC stream or file. Every mutation is a pure function of the
/// input and the <see cref="Random"/> it is given, so one (seed, case index) pair reproduces one
/// input exactly. The framing of the original (where each message's metadata and body lie, where
/// the file footer lies) steers half of the edits into metadata, where lengths, offsets, counts
/// and type parameters live.
/// </summary>
internal static class IpcMutator
{
    private static readonly byte[] SpecialBytes = [0x00, 0xFF, 0x7F, 0x80];

    /// <summary>Applies 1 to 3 stacked mutations; <paramref name="description"/> says which, for failure messages.</summary>
    public static byte[] Mutate(byte[] original, IpcLayout layout, Random random, out string description)
    {
        var data = new List<byte>(original);
        var what = new StringBuilder();
        int count = random.Next(10) switch { < 6 => 1, < 9 => 2, _ => 3 };
        for (int i = 0; i < count; i++)
        {
            if (what.Length > 0)
            {
                what.Append("; ");
            }

            MutateOnce(data, layout, random, what);
        }

        description = what.ToString();
        return [.. data];
    }

    private static void MutateOnce(List<byte> data, IpcLayout layout, Random random, StringBuilder what)
    {
        if (data.Count == 0)
        {
            data.Add(SpecialBytes[random.Next(SpecialBytes.Length)]);
            what.Append("empty→one byte");
            return;
        }

        switch (random.Next(16))
        {
            case 0 or 1:
            {
                int at = PickPosition(data.Count, layout, random);
                int bit = random.Next(8);
                data[at] ^= (byte)(1 << bit);
                what.Append($"flip bit {bit} at {at}");
                break;
            }

            case 2 or 3:
            {
                int at = PickPosition(data.Count, layout, random);
                byte value = SpecialBytes[random.Next(SpecialBytes.Length)];
                data[at] = value;
                what.Append($"byte at {at} = 0x{value:X2}");
                break;
            }

            case 4:
            {
                int length = random.Next(data.Count);
                data.RemoveRange(length, data.Count - length);
                what.Append($"truncate to {length}");
                break;
            }

            case 5 or 6:
                EditInt32(data, layout, random, what);
                break;
            case 7 or 8:
                EditInt64(data, layout, random, what);
                break;
            case 9 or 10:
                ReplaceValueClass(data, layout, random, what);
                break;
            case 11:
            {
                var (start, length) = PickSlice(data.Count, random);
                int to = random.Next(data.Count + 1);
                data.InsertRange(to, data.GetRange(start, length));
                what.Append($"duplicate [{start}, +{length}) at {to}");
                break;
            }

            case 12:
            {
                var (start, length) = PickSlice(data.Count, random);
                data.RemoveRange(start, length);
                what.Append($"remove [{start}, +{length})");
                break;
            }

            case 13:
            {
                var (start, length) = PickSlice(data.Count, random);
                int to = random.Next(data.Count - length + 1);
                var copy = data.GetRange(start, length);
                for (int i = 0; i < length; i++)
                {
                    data[to + i] = copy[i];
                }

                what.Append($"overwrite [{to}, +{length}) with [{start}, +{length})");
                break;
            }

            default:
                ShuffleMessages(data, layout, random, what);
                break;
        }
    }

    /// <summary>Half the time a byte inside some message's metadata (or the footer), else anywhere.</summary>
    private static int PickPosition(int count, IpcLayout layout, Random random)
    {
        if (layout.Metadata.Count > 0 && random.Next(2) == 0)
        {
            var (start, length) = layout.Metadata[random.Next(layout.Metadata.Count)];
            int at = start + random.Next(length);
            if (at < count)
            {
                return at;
            }
        }

        return random.Next(count);
    }

    private static (int Start, int Length) PickSlice(int count, Random random)
    {
        int length = Math.Min(count, random.Next(4) == 0 ? 1 + random.Next(count) : 1 + random.Next(Math.Min(count, 64)));
        return (random.Next(count - length + 1), length);
    }

    /// <summary>An aligned position, preferably one holding a small positive value (a plausible length, offset or count).</summary>
    private static int PickAligned(List<byte> data, IpcLayout layout, Random random, int width)
    {
        if (data.Count < width)
        {
            return -1;
        }

        for (int attempt = 0; attempt < 24; attempt++)
        {
            int at = PickPosition(data.Count, layout, random) & ~(width - 1);
            if (at + width > data.Count)
            {
                continue;
            }

            long value = width == 4 ? ReadInt32(data, at) : ReadInt64(data, at);
            if (value is > 0 and < 1 << 24 || attempt == 23)
            {
                return at;
            }
        }

        return (data.Count - width) & ~(width - 1);
    }

    private static void EditInt32(List<byte> data, IpcLayout layout, Random random, StringBuilder what)
    {
        int at = PickAligned(data, layout, random, 4);
        if (at < 0)
        {
            what.Append("int32 edit skipped (too short)");
            return;
        }

        int old = ReadInt32(data, at);
        int value = random.Next(12) switch
        {
            0 => 0,
            1 => -1,
            2 => int.MaxValue,
            3 => int.MinValue,
            4 => unchecked(old + 1),
            5 => unchecked(old - 1),
            6 => unchecked(old * 2),
            7 => 0x7FFFFFF8,
            8 => data.Count,
            9 => unchecked(old + 8),
            10 => 1 << random.Next(31),
            _ => random.Next(int.MinValue, int.MaxValue),
        };
        WriteInt32(data, at, value);
        what.Append($"int32 at {at}: {old} → {value}");
    }

    private static void EditInt64(List<byte> data, IpcLayout layout, Random random, StringBuilder what)
    {
        int at = PickAligned(data, layout, random, 8);
        if (at < 0)
        {
            what.Append("int64 edit skipped (too short)");
            return;
        }

        long old = ReadInt64(data, at);
        long value = InterestingInt64(old, data.Count, random);
        WriteInt64(data, at, value);
        what.Append($"int64 at {at}: {old} → {value}");
    }

    private static long InterestingInt64(long old, int inputLength, Random random) => random.Next(14) switch
    {
        0 => 0,
        1 => -1,
        2 => long.MaxValue,
        3 => long.MinValue,
        4 => int.MaxValue,
        5 => (long)int.MaxValue + 1,
        6 => unchecked(old + 1),
        7 => unchecked(old - 1),
        8 => unchecked(old * 2),
        9 => 1L << 40,
        10 => old + inputLength,
        11 => unchecked(old + 8),
        12 => 1L << random.Next(63),
        _ => random.NextInt64(long.MinValue, long.MaxValue),
    };

    /// <summary>
    /// Replaces every 8-aligned occurrence of one small positive int64 inside one metadata region:
    /// a batch length and the field node lengths that must agree with it change together, so the
    /// edit gets past the first consistency checks.
    /// </summary>
    private static void ReplaceValueClass(List<byte> data, IpcLayout layout, Random random, StringBuilder what)
    {
        if (layout.Metadata.Count == 0)
        {
            EditInt64(data, layout, random, what);
            return;
        }

        var (start, length) = layout.Metadata[random.Next(layout.Metadata.Count)];
        int end = Math.Min(start + length, data.Count);
        var candidates = new List<int>();
        for (int at = (start + 7) & ~7; at + 8 <= end; at += 8)
        {
            if (ReadInt64(data, at) is > 0 and < 1 << 24)
            {
                candidates.Add(at);
            }
        }

        if (candidates.Count == 0)
        {
            EditInt64(data, layout, random, what);
            return;
        }

        long old = ReadInt64(data, candidates[random.Next(candidates.Count)]);
        long value = InterestingInt64(old, data.Count, random);
        int replaced = 0;
        foreach (int at in candidates)
        {
            if (ReadInt64(data, at) == old)
            {
                WriteInt64(data, at, value);
                replaced++;
            }
        }

        what.Append($"every int64 {old} in metadata [{start}, +{length}) → {value} ({replaced}×)");
    }

    /// <summary>Duplicates, removes or swaps whole framed messages (schema, dictionaries, batches, end marker).</summary>
    private static void ShuffleMessages(List<byte> data, IpcLayout layout, Random random, StringBuilder what)
    {
        var messages = layout.Messages.Where(m => m.Start + m.Length <= data.Count).ToList();
        if (messages.Count == 0)
        {
            EditInt32(data, layout, random, what);
            return;
        }

        var a = messages[random.Next(messages.Count)];
        var b = messages[random.Next(messages.Count)];
        switch (random.Next(3))
        {
            case 0:
                data.InsertRange(b.Start, data.GetRange(a.Start, a.Length));
                what.Append($"duplicate message [{a.Start}, +{a.Length}) before {b.Start}");
                break;
            case 1:
                data.RemoveRange(a.Start, a.Length);
                what.Append($"remove message [{a.Start}, +{a.Length})");
                break;
            default:
                if (a.Start > b.Start)
                {
                    (a, b) = (b, a);
                }

                if (a.Start + a.Length > b.Start)
                {
                    data.InsertRange(a.Start, data.GetRange(b.Start, b.Length));
                    what.Append($"copy message [{b.Start}, +{b.Length}) to {a.Start}");
                    break;
                }

                var first = data.GetRange(a.Start, a.Length);
                var second = data.GetRange(b.Start, b.Length);
                data.RemoveRange(b.Start, b.Length);
                data.InsertRange(b.Start, first);
                data.RemoveRange(a.Start, a.Length);
                data.InsertRange(a.Start, second);
                what.Append($"swap messages [{a.Start}, +{a.Length}) and [{b.Start}, +{b.Length})");
                break;
        }
    }

    private static int ReadInt32(List<byte> data, int at) =>
        data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24);

    private static long ReadInt64(List<byte> data, int at) =>
        (uint)ReadInt32(data, at) | ((long)ReadInt32(data, at + 4) << 32);

    private static void WriteInt32(List<byte> data, int at, int value)
    {
        for (int i = 0; i < 4; i++)
        {
            data[at + i] = (byte)(value >> (8 * i));
        }
    }

    private static void WriteInt64(List<byte> data, int at, long value)
    {
        for (int i = 0; i < 8; i++)
        {
            data[at + i] = (byte)(value >> (8 * i));
        }
    }
}

/// <summary>Where the framed messages, their metadata and the file footer lie in a valid IPC stream or file.</summary>
internal sealed class IpcLayout
{
    private IpcLayout(List<(int Start, int Length)> metadata, List<(int Start, int Length)> messages)
    {
        Metadata = metadata;
        Messages = messages;
    }

    /// <summary>Metadata flatbuffers (after their 8-byte prefix) and the file footer.</summary>
    public IReadOnlyList<(int Start, int Length)> Metadata { get; }

    /// <summary>Whole framed messages (prefix, metadata, body), the end-of-stream marker included.</summary>
    public IReadOnlyList<(int Start, int Length)> Messages { get; }

    /// <summary>Walks the framing of a valid input (the golden files use the continuation marker throughout).</summary>
    public static IpcLayout Of(ReadOnlySpan<byte> data)
    {
        var metadata = new List<(int, int)>();
        var messages = new List<(int, int)>();
        bool isFile = data.Length >= 8 && data[..6].SequenceEqual("ARROW1"u8);
        int at = isFile ? 8 : 0;
        int end = data.Length;
        if (isFile)
        {
            int footerLength = BinaryPrimitives.ReadInt32LittleEndian(data[^10..]);
            end = data.Length - 10 - footerLength;
            metadata.Add((end, footerLength));
        }

        while (at + 8 <= end && BinaryPrimitives.ReadUInt32LittleEndian(data[at..]) == 0xFFFFFFFF)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(data[(at + 4)..]);
            if (length == 0)
            {
                messages.Add((at, 8));
                break;
            }

            long bodyLength = BodyLengthOf(data.Slice(at + 8, length));
            metadata.Add((at + 8, length));
            int total = checked(8 + length + (int)bodyLength);
            messages.Add((at, total));
            at += total;
        }

        return new IpcLayout(metadata, messages);
    }

    /// <summary>Message.bodyLength (field 3, slot offset 10) of a Message flatbuffer, read by hand.</summary>
    private static long BodyLengthOf(ReadOnlySpan<byte> message)
    {
        int table = BinaryPrimitives.ReadInt32LittleEndian(message);
        int vtable = table - BinaryPrimitives.ReadInt32LittleEndian(message[table..]);
        int vtableLength = BinaryPrimitives.ReadUInt16LittleEndian(message[vtable..]);
        const int slot = 4 + (2 * 3);
        if (slot + 2 > vtableLength)
        {
            return 0;
        }

        int field = BinaryPrimitives.ReadUInt16LittleEndian(message[(vtable + slot)..]);
        return field == 0 ? 0 : BinaryPrimitives.ReadInt64LittleEndian(message[(table + field)..]);
    }
}
