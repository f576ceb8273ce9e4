using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using ArrowCid.Parquet.Encodings;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Dictionary encoding of one column chunk's values: the distinct values in first-seen order and
/// each value's index. Gives up (returns null) as soon as the distinct values' PLAIN size passes
/// the limit, when after <see cref="SampleValues"/> values nearly all are distinct (keys,
/// measurements, free text: hashing every value would only cost time), or when after
/// <see cref="JudgedValues"/> values the dictionary and its indices would take more than the
/// values' PLAIN bytes, so the caller falls back to PLAIN without building a useless dictionary.
/// The size is judged that late because distinct values keep arriving long after a small sample:
/// 4,096 draws from 10,000 values are 82% distinct, a row group of 122,880 of them 8%, and its
/// dictionary with 14-bit indices half its PLAIN size (as DuckDB writes it).
/// </summary>
/// <remarks>
/// The lookup is an open-addressing table of entry numbers specialised by value form (4-byte and
/// 8-byte values compared as integers, anything else as bytes), because this loop sees every value
/// of every dictionary-encoded chunk and a general hash map's comparer calls were most of its cost.
/// Where values carry keys (their positions in an Arrow dictionary, <see cref="ColumnBuffer.ValueKeys"/>)
/// or are integers of a narrow range (keyed by their distance from the smallest), a value whose key
/// was met takes its entry from an array instead, and only the first value of each key is hashed.
/// </remarks>
internal sealed class ValueDictionary
{
    /// <summary>Values seen before the distinct ratio is judged.</summary>
    public const int SampleValues = 4096;

    /// <summary>Values seen before the dictionary's size is judged against PLAIN.</summary>
    public const int JudgedValues = 16384;

    private ValueDictionary(int[] entries, int[] indices, long plainSize)
    {
        Entries = entries;
        Indices = indices;
        PlainSize = plainSize;
    }

    /// <summary>For each dictionary entry, the index of a value (in the buffer) that holds it.</summary>
    public int[] Entries { get; }

    /// <summary>For each value of the buffer, its dictionary index.</summary>
    public int[] Indices { get; }

    public long PlainSize { get; }

    /// <summary>The buffer's dictionary, or null where PLAIN is the better encoding (see the class summary).</summary>
    public static ValueDictionary? TryBuild(ColumnBuffer buffer, long sizeLimit)
    {
        // Keys from the Arrow dictionary, else integers of a narrow range keyed by their distance
        // from the smallest: a value whose key was met takes its entry from an array, unhashed.
        ReadOnlySpan<int> keys = buffer.ValueKeys;
        int keyRange = keys.IsEmpty ? 0 : buffer.ValueKeyRange;
        int[]? rentedKeys = null;
        if (keys.IsEmpty)
        {
            rentedKeys = buffer.Width switch
            {
                4 => RangeKeys(MemoryMarshal.Cast<byte, int>(buffer.FixedValues), out keyRange),
                8 => RangeKeys(MemoryMarshal.Cast<byte, long>(buffer.FixedValues), out keyRange),
                _ => null,
            };
            keys = rentedKeys is null ? default : rentedKeys.AsSpan(0, buffer.ValueCount);
        }

        int[]? remap = !keys.IsEmpty && keyRange <= KeyRangeLimit(keys.Length) ? ArrayPool<int>.Shared.Rent(keyRange) : null;
        try
        {
            var known = remap is null ? default : new KeyRemap(keys, remap.AsSpan(0, keyRange));
            return buffer.Width switch
            {
                4 => Build(new FixedValues<int>(MemoryMarshal.Cast<byte, int>(buffer.FixedValues)), known, sizeLimit),
                8 => Build(new FixedValues<long>(MemoryMarshal.Cast<byte, long>(buffer.FixedValues)), known, sizeLimit),
                0 => Build(new ByteArrayValues(buffer.Offsets, buffer.Data), known, sizeLimit),
                _ => Build(new FixedBytesValues(buffer.FixedValues, buffer.Width), known, sizeLimit),
            };
        }
        finally
        {
            if (remap is not null)
            {
                ArrayPool<int>.Shared.Return(remap);
            }

            if (rentedKeys is not null)
            {
                ArrayPool<int>.Shared.Return(rentedKeys);
            }
        }
    }

    // A remap by key costs an int per key: used while that is about what the values' indices cost.
    private static long KeyRangeLimit(int values) => (2L * values) + 4096;

    /// <summary>
    /// Each value's distance from the smallest (pooled; return it), when all lie within
    /// <see cref="KeyRangeLimit"/> of it; else null, found as soon as the range passes it.
    /// </summary>
    private static int[]? RangeKeys<T>(ReadOnlySpan<T> values, out int keyRange)
        where T : unmanaged, IBinaryInteger<T>, ISignedNumber<T>
    {
        keyRange = 0;
        if (values.IsEmpty)
        {
            return null;
        }

        long limit = KeyRangeLimit(values.Length);
        T min = values[0];
        T max = min;
        for (int start = 0; start < values.Length; start += 256)
        {
            foreach (T value in values.Slice(start, Math.Min(256, values.Length - start)))
            {
                min = T.Min(min, value);
                max = T.Max(max, value);
            }

            // Compared as unsigned: the difference of two far-apart values may not fit the signed type.
            if (ulong.CreateTruncating(max - min) >= (ulong)limit)
            {
                return null;
            }
        }

        keyRange = int.CreateTruncating(max - min) + 1;
        int[] keys = ArrayPool<int>.Shared.Rent(values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            keys[i] = int.CreateTruncating(values[i] - min);
        }

        return keys;
    }

    private static ValueDictionary? Build<TValues>(TValues values, KeyRemap known, long sizeLimit)
        where TValues : IDictionaryValues, allows ref struct
    {
        int count = values.Count;
        // Sized for the sample first: most chunks that give up do so there, and a full-size
        // index array per chunk was a large-object allocation thrown away each time.
        int[] indices = new int[Math.Min(count, SampleValues)];
        var entries = new List<int>();
        var hashes = new List<uint>();
        int[] table = new int[1024];
        long plainSize = 0;
        for (int i = 0; i < count; i++)
        {
            if (i == indices.Length)
            {
                Array.Resize(ref indices, count);
            }

            // A key met before names its entry; only a new key's value is hashed. Equal keys are
            // equal values, so the entries grow exactly as they would without keys.
            int index = known.EntryOf(i);
            if (index < 0)
            {
                uint hash = values.Hash(i);
                int mask = table.Length - 1;
                int position = (int)(hash & (uint)mask);
                while (true)
                {
                    int occupant = table[position] - 1;
                    if (occupant < 0)
                    {
                        index = entries.Count;
                        table[position] = index + 1;
                        entries.Add(i);
                        hashes.Add(hash);
                        plainSize += values.PlainSize(i);
                        if (plainSize > sizeLimit)
                        {
                            return null;
                        }

                        if (entries.Count * 2 > table.Length)
                        {
                            table = Grow(table.Length * 2, hashes);
                        }

                        break;
                    }

                    if (hashes[occupant] == hash && values.Same(entries[occupant], i))
                    {
                        index = occupant;
                        break;
                    }

                    position = (position + 1) & mask;
                }

                known.Remember(i, index);
            }

            indices[i] = index;
            if ((i + 1 == SampleValues && entries.Count * 10 > SampleValues * 9)
                || (i + 1 == JudgedValues && plainSize + ((long)JudgedValues * IndexBitWidth(entries.Count) / 8) > PlainSizeOf(values, JudgedValues)))
            {
                return null;
            }
        }

        return new ValueDictionary([.. entries], indices, plainSize);
    }

    /// <summary>The entry each value key was last seen to stand for (none without keys).</summary>
    private readonly ref struct KeyRemap
    {
        private readonly ReadOnlySpan<int> _keys;
        // Entry + 1 for each key; 0 for a key not met yet.
        private readonly Span<int> _entryByKey;

        public KeyRemap(ReadOnlySpan<int> keys, Span<int> entryByKey)
        {
            _keys = keys;
            _entryByKey = entryByKey;
            entryByKey.Clear();
        }

        /// <summary>Value <paramref name="value"/>'s entry if its key was met, else -1.</summary>
        public int EntryOf(int value) => _keys.IsEmpty ? -1 : _entryByKey[_keys[value]] - 1;

        public void Remember(int value, int entry)
        {
            if (!_keys.IsEmpty)
            {
                _entryByKey[_keys[value]] = entry + 1;
            }
        }
    }

    // Bits of an index into a dictionary of this many entries, as ValueEncoder.EncodeIndices packs them.
    private static int IndexBitWidth(int entries) => Math.Max(1, RleBitPackedHybrid.BitWidthFor(entries - 1));

    // The PLAIN bytes of the first values (asked once, where the dictionary is judged).
    private static long PlainSizeOf<TValues>(TValues values, int count)
        where TValues : IDictionaryValues, allows ref struct
    {
        long size = 0;
        for (int i = 0; i < count; i++)
        {
            size += values.PlainSize(i);
        }

        return size;
    }

    private static int[] Grow(int capacity, List<uint> hashes)
    {
        var table = new int[capacity];
        int mask = capacity - 1;
        for (int entry = 0; entry < hashes.Count; entry++)
        {
            int position = (int)(hashes[entry] & (uint)mask);
            while (table[position] != 0)
            {
                position = (position + 1) & mask;
            }

            table[position] = entry + 1;
        }

        return table;
    }

    /// <summary>Mixes 64 bits into a well-spread 32-bit hash (the low bits index the table).</summary>
    private static uint Mix(ulong value)
    {
        value ^= value >> 33;
        value *= 0xFF51AFD7ED558CCDUL;
        value ^= value >> 33;
        return (uint)value;
    }

    /// <summary>The values of a buffer as the table sees them.</summary>
    private interface IDictionaryValues
    {
        int Count { get; }

        uint Hash(int index);

        bool Same(int a, int b);

        /// <summary>Bytes the value takes in a PLAIN dictionary page.</summary>
        int PlainSize(int index);
    }

    private readonly ref struct FixedValues<T>(ReadOnlySpan<T> values) : IDictionaryValues
        where T : unmanaged, IBinaryInteger<T>
    {
        private readonly ReadOnlySpan<T> _values = values;

        public int Count => _values.Length;

        public uint Hash(int index) => Mix(ulong.CreateTruncating(_values[index]));

        public bool Same(int a, int b) => _values[a] == _values[b];

        public int PlainSize(int index) => System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
    }

    private readonly ref struct ByteArrayValues(ReadOnlySpan<int> offsets, ReadOnlySpan<byte> data) : IDictionaryValues
    {
        private readonly ReadOnlySpan<int> _offsets = offsets;
        private readonly ReadOnlySpan<byte> _data = data;

        public int Count => _offsets.Length - 1;

        public uint Hash(int index) => HashBytes(Value(index));

        public bool Same(int a, int b) => Value(a).SequenceEqual(Value(b));

        public int PlainSize(int index) => 4 + (_offsets[index + 1] - _offsets[index]);

        private ReadOnlySpan<byte> Value(int index) => _data[_offsets[index].._offsets[index + 1]];
    }

    private readonly ref struct FixedBytesValues(ReadOnlySpan<byte> values, int width) : IDictionaryValues
    {
        private readonly ReadOnlySpan<byte> _values = values;
        private readonly int _width = width;

        public int Count => _values.Length / _width;

        public uint Hash(int index) => HashBytes(Value(index));

        public bool Same(int a, int b) => Value(a).SequenceEqual(Value(b));

        public int PlainSize(int index) => _width;

        private ReadOnlySpan<byte> Value(int index) => _values.Slice(index * _width, _width);
    }

    /// <summary>A quick hash of a value's bytes: eight at a time, then the tail, then the length.</summary>
    private static uint HashBytes(ReadOnlySpan<byte> bytes)
    {
        ulong hash = 0x9E3779B97F4A7C15UL;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..])) * 0xFF51AFD7ED558CCDUL, 29);
        }

        ulong tail = 0;
        for (int shift = 0; i < bytes.Length; i++, shift += 8)
        {
            tail |= (ulong)bytes[i] << shift;
        }

        hash = BitOperations.RotateLeft((hash ^ tail) * 0xFF51AFD7ED558CCDUL, 29);
        return Mix(hash ^ (ulong)bytes.Length);
    }
}
