using System.Text;

namespace ArrowCid.Http2.Hpack;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) of one HTTP/2 connection's receiving direction, keeping that
/// direction's dynamic table. Not thread-safe: one connection's reader uses it.
/// </summary>
public sealed class HpackDecoder
{
    private const int EntryOverhead = 32; // RFC 7541 section 4.1 and RFC 7540 section 6.5.2

    private readonly int _maxDynamicTableSize;
    private readonly int _maxHeaderListSize;

    // The dynamic table as a ring: the oldest entry at _first, the newest at _first + _count - 1 (modulo length).
    private KeyValuePair<string, string>[] _entries = new KeyValuePair<string, string>[16];
    private int _first;
    private int _count;
    private int _size;
    private int _capacity;

    // Huffman-decoded octets land here before becoming a string.
    private byte[] _scratch = new byte[256];
    private bool _failed;

    /// <summary>Creates a decoder with an empty dynamic table.</summary>
    /// <param name="maxDynamicTableSize">
    /// The SETTINGS_HEADER_TABLE_SIZE we advertise (default 4096): the table starts at this size and the
    /// peer's dynamic table size updates may not exceed it.
    /// </param>
    /// <param name="maxHeaderListSize">
    /// Limit on one decoded header list, counted as RFC 7540 section 6.5.2 does (name and value octets plus
    /// 32 per field); a block over it is still decoded to its end but <see cref="Decode"/> returns false.
    /// </param>
    public HpackDecoder(int maxDynamicTableSize = 4096, int maxHeaderListSize = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDynamicTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        _maxDynamicTableSize = maxDynamicTableSize;
        _maxHeaderListSize = maxHeaderListSize;
        _capacity = maxDynamicTableSize;
    }

    /// <summary>Octets the dynamic table holds now (entry sizes per RFC 7541 section 4.1).</summary>
    internal int DynamicTableSize => _size;

    /// <summary>The dynamic table's current maximum size (the last size update, or the advertised limit).</summary>
    internal int DynamicTableCapacity => _capacity;

    /// <summary>The dynamic table's entries, newest first (the first is HPACK index 62).</summary>
    internal IReadOnlyList<KeyValuePair<string, string>> DynamicTableEntries
    {
        get
        {
            var list = new List<KeyValuePair<string, string>>(_count);
            for (int i = 1; i <= _count; i++)
            {
                list.Add(GetDynamic(i));
            }

            return list;
        }
    }

    /// <summary>
    /// Decodes one complete header block (the HEADERS or PUSH_PROMISE fragment and its CONTINUATION
    /// fragments, concatenated), appending its fields to <paramref name="headers"/> in order and updating
    /// the dynamic table.
    /// </summary>
    /// <param name="headerBlock">The whole header block.</param>
    /// <param name="headers">Receives the decoded fields; names and values are the octets read as Latin-1.</param>
    /// <returns>
    /// False when the decoded list is larger than the header list limit: the block was still decoded to its
    /// end, so the dynamic table stays in step with the peer's and the connection can go on (RFC 9113
    /// section 10.5.1), but <paramref name="headers"/> holds only the fields before the limit and the
    /// caller refuses the stream.
    /// </returns>
    /// <exception cref="HpackException">
    /// The block is malformed. The fields appended so far are incomplete and the decoder is unusable
    /// afterwards: the connection must end with COMPRESSION_ERROR.
    /// </exception>
    public bool Decode(ReadOnlySpan<byte> headerBlock, List<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (_failed)
        {
            throw new HpackException("The HPACK decoder failed on an earlier header block; its dynamic table is no longer in step with the peer's.");
        }

        _failed = true;
        int pos = 0;
        bool fieldSeen = false;
        long listSize = 0;
        while (pos < headerBlock.Length)
        {
            byte first = headerBlock[pos];
            string name;
            string value;
            if ((first & 0x80) != 0)
            {
                // Indexed header field (section 6.1).
                int index = ReadInteger(headerBlock, ref pos, 7);
                if (index == 0)
                {
                    throw new HpackException("Indexed header field with index 0 (RFC 7541 section 6.1).");
                }

                var field = GetEntry(index);
                name = field.Key;
                value = field.Value;
            }
            else if ((first & 0x40) != 0)
            {
                // Literal header field with incremental indexing (section 6.2.1).
                int index = ReadInteger(headerBlock, ref pos, 6);
                name = index == 0 ? ReadString(headerBlock, ref pos, isName: true) : GetEntry(index).Key;
                value = ReadString(headerBlock, ref pos, isName: false);
                Insert(name, value);
            }
            else if ((first & 0x20) != 0)
            {
                // Dynamic table size update (section 6.3).
                if (fieldSeen)
                {
                    throw new HpackException("Dynamic table size update after a header field; it may only begin a header block (RFC 7541 section 4.2).");
                }

                int newSize = ReadInteger(headerBlock, ref pos, 5);
                if (newSize > _maxDynamicTableSize)
                {
                    throw new HpackException(
                        $"Dynamic table size update to {newSize} octets exceeds the {_maxDynamicTableSize} octets of SETTINGS_HEADER_TABLE_SIZE (RFC 7541 section 6.3).");
                }

                _capacity = newSize;
                EvictTo(newSize);
                continue;
            }
            else
            {
                // Literal header field without indexing (0000) or never indexed (0001), sections 6.2.2 and 6.2.3.
                int index = ReadInteger(headerBlock, ref pos, 4);
                name = index == 0 ? ReadString(headerBlock, ref pos, isName: true) : GetEntry(index).Key;
                value = ReadString(headerBlock, ref pos, isName: false);
            }

            fieldSeen = true;
            listSize += name.Length + value.Length + EntryOverhead;
            if (listSize <= _maxHeaderListSize)
            {
                headers.Add(new KeyValuePair<string, string>(name, value));
            }
        }

        _failed = false;
        return listSize <= _maxHeaderListSize;
    }

    /// <summary>Reads an integer with an N-bit prefix (RFC 7541 section 5.1) starting at <paramref name="pos"/>.</summary>
    internal static int ReadInteger(ReadOnlySpan<byte> block, ref int pos, int prefixBits)
    {
        int mask = (1 << prefixBits) - 1;
        int value = block[pos++] & mask;
        if (value < mask)
        {
            return value;
        }

        long result = value;
        int shift = 0;
        while (true)
        {
            if (shift > 28)
            {
                throw new HpackException("Integer has too many continuation octets (more than 5; RFC 7541 section 5.1).");
            }

            if (pos >= block.Length)
            {
                throw new HpackException("Header block ends inside an integer (RFC 7541 section 5.1).");
            }

            byte b = block[pos++];
            result += (long)(b & 0x7F) << shift;
            if (result > int.MaxValue)
            {
                throw new HpackException("Integer overflows the 32-bit signed range (RFC 7541 section 5.1).");
            }

            if ((b & 0x80) == 0)
            {
                return (int)result;
            }

            shift += 7;
        }
    }

    private string ReadString(ReadOnlySpan<byte> block, ref int pos, bool isName)
    {
        if (pos >= block.Length)
        {
            throw new HpackException("Header block ends before a string literal (RFC 7541 section 5.2).");
        }

        bool huffman = (block[pos] & 0x80) != 0;
        int length = ReadInteger(block, ref pos, 7);
        int left = block.Length - pos;
        if (length > left)
        {
            throw new HpackException(
                $"String literal of {length} octets runs past the end of the header block ({left} octets left; RFC 7541 section 5.2).");
        }

        ReadOnlySpan<byte> octets = block.Slice(pos, length);
        pos += length;
        if (length == 0)
        {
            return string.Empty;
        }

        if (huffman)
        {
            int max = HpackHuffman.GetMaxDecodedLength(length);
            if (_scratch.Length < max)
            {
                _scratch = new byte[Math.Max(max, _scratch.Length * 2)];
            }

            int decoded = HpackHuffman.Decode(octets, _scratch);
            octets = _scratch.AsSpan(0, decoded);
            if (octets.IsEmpty)
            {
                return string.Empty;
            }
        }

        if (isName && HpackStaticTable.TryGetName(octets, out string? known))
        {
            return known;
        }

        return Encoding.Latin1.GetString(octets);
    }

    private KeyValuePair<string, string> GetEntry(int index)
    {
        if (index <= HpackStaticTable.Count)
        {
            return HpackStaticTable.Get(index);
        }

        int dynamicIndex = index - HpackStaticTable.Count;
        if (dynamicIndex > _count)
        {
            throw new HpackException(
                $"Header field index {index} is beyond the static table ({HpackStaticTable.Count}) and the dynamic table ({_count} entries) (RFC 7541 section 2.3.3).");
        }

        return GetDynamic(dynamicIndex);
    }

    // dynamicIndex 1 is the newest entry.
    private KeyValuePair<string, string> GetDynamic(int dynamicIndex) =>
        _entries[(_first + _count - dynamicIndex) % _entries.Length];

    private void Insert(string name, string value)
    {
        int entrySize = name.Length + value.Length + EntryOverhead;
        if (entrySize > _capacity)
        {
            // Section 4.4: an entry larger than the table empties it and is not added.
            EvictTo(0);
            return;
        }

        EvictTo(_capacity - entrySize);
        if (_count == _entries.Length)
        {
            var grown = new KeyValuePair<string, string>[_entries.Length * 2];
            for (int i = 0; i < _count; i++)
            {
                grown[i] = _entries[(_first + i) % _entries.Length];
            }

            _entries = grown;
            _first = 0;
        }

        _entries[(_first + _count) % _entries.Length] = new KeyValuePair<string, string>(name, value);
        _count++;
        _size += entrySize;
    }

    private void EvictTo(int maxSize)
    {
        while (_size > maxSize)
        {
            var oldest = _entries[_first];
            _size -= oldest.Key.Length + oldest.Value.Length + EntryOverhead;
            _entries[_first] = default;
            _first = (_first + 1) % _entries.Length;
            _count--;
        }
    }
}
