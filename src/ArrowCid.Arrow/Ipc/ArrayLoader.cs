using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// Builds arrays from a record batch header and its body: walks the schema in depth-first
/// pre-order taking field nodes and buffers in turn. Uncompressed buffers are slices of the body
/// (zero copy); compressed ones are decompressed into new memory, never past what the array needs.
/// Every node and buffer location is checked here; the arrays' contents are then checked by
/// <see cref="Validation.ArrayValidator"/> before anyone sees them.
/// </summary>
internal sealed class ArrayLoader
{
    private readonly RecordBatchHeader _header;
    private readonly ReadOnlyMemory<byte> _body;
    private readonly MetadataVersion _version;
    private readonly Func<long, ArrayData> _dictionary;
    private readonly IReadOnlyList<long> _dictionaryIds;
    private readonly DecompressionBudget _budget;
    private int _node, _buffer, _variadic, _dictionaryIndex;

    public ArrayLoader(RecordBatchHeader header, ReadOnlyMemory<byte> body, MetadataVersion version, IReadOnlyList<long> dictionaryIds, Func<long, ArrayData> dictionary, DecompressionBudget budget)
    {
        _budget = budget;
        _header = header;
        _body = body;
        _version = version;
        _dictionaryIds = dictionaryIds;
        _dictionary = dictionary;
    }

    /// <summary>Loads one array per field, then checks that every node and buffer was used.</summary>
    public ArrayData[] LoadAll(IReadOnlyList<Field> fields, string what)
    {
        var arrays = new ArrayData[fields.Count];
        for (int i = 0; i < arrays.Length; i++)
        {
            // The column's path (and each child's below it) is written out only for an error.
            var path = Validation.ValidationPath.Column(i, fields[i].Name, what);
            arrays[i] = Load(fields[i], path);
            if (arrays[i].Length != _header.Length)
            {
                throw Malformed(path, $"{arrays[i].Length} rows but the batch has {_header.Length}");
            }
        }

        if (_node != _header.Nodes.Length || _buffer != _header.Buffers.Length)
        {
            throw new ArrowFormatException(
                $"{what}: the schema uses {_node} field nodes and {_buffer} buffers but the message lists {_header.Nodes.Length} and {_header.Buffers.Length}");
        }

        return arrays;
    }

    private static ArrowFormatException Malformed(Validation.ValidationPath path, string problem)
    {
        string text = path.ToString();
        return new ArrowFormatException($"{text}: {problem}") { Path = text };
    }

    private ArrayData Load(Field field, Validation.ValidationPath path)
    {
        if (path.Depth > Validation.ArrayValidator.MaxDepth)
        {
            throw Malformed(path, $"nested deeper than {Validation.ArrayValidator.MaxDepth} levels");
        }

        var type = field.Type;
        var physical = type.PhysicalType;
        if (_node >= _header.Nodes.Length)
        {
            throw Malformed(path, $"the message has only {_header.Nodes.Length} field nodes");
        }

        var (nodeLength, nodeNulls) = _header.Nodes[_node++];
        if (nodeLength is < 0 or > int.MaxValue || nodeNulls < 0 || nodeNulls > nodeLength)
        {
            throw Malformed(path, $"field node length {nodeLength} / null count {nodeNulls} is invalid");
        }

        int length = (int)nodeLength;
        int nullCount = (int)nodeNulls;
        var layout = physical.Layout;
        var buffers = new List<ReadOnlyMemory<byte>>(layout.Buffers.Length);

        // Metadata V4 gave unions a validity buffer; V5 removed it.
        if (physical.IsUnion && _version == MetadataVersion.V4)
        {
            _ = NextBuffer(path, BufferLabel.UnionValidityV4, BitUtil.BytesForBits(length));
        }

        var previous = BufferKind.Validity;
        foreach (var kind in layout.Buffers)
        {
            long needed = kind switch
            {
                BufferKind.Validity or BufferKind.Bits => BitUtil.BytesForBits(length),
                BufferKind.FixedWidth => (long)length * (layout.ValueBitWidth / 8),
                BufferKind.Offsets32 => (length + 1L) * 4,
                BufferKind.Offsets64 => (length + 1L) * 8,
                BufferKind.Views => length * 16L,
                BufferKind.Sizes32 or BufferKind.UnionOffsets => length * 4L,
                BufferKind.Sizes64 => length * 8L,
                BufferKind.TypeIds => length,
                // Var-width data: its size is the last offset, read from the buffer before it.
                _ => LastOffset(buffers, previous, length),
            };
            var buffer = NextBuffer(path, new BufferLabel(kind), needed);
            buffers.Add(kind == BufferKind.Validity && nullCount == 0 ? ReadOnlyMemory<byte>.Empty : buffer);
            previous = kind;
        }

        if (layout.HasVariadicBuffers)
        {
            if (_variadic >= _header.VariadicCounts.Length)
            {
                throw Malformed(path, "view array but the message lists no variadic buffer count for it");
            }

            long count = _header.VariadicCounts[_variadic++];
            if (count < 0 || count > _header.Buffers.Length - _buffer)
            {
                throw Malformed(path, $"variadic buffer count {count} exceeds the buffers left in the message");
            }

            for (long i = 0; i < count; i++)
            {
                buffers.Add(NextBuffer(path, BufferLabel.Variadic(i), maxLength: int.MaxValue));
            }
        }

        var childFields = physical.Id == ArrowTypeId.Dictionary ? [] : physical.Children;
        var children = new ArrayData[childFields.Length];
        for (int i = 0; i < children.Length; i++)
        {
            children[i] = Load(childFields[i], path.Child(i, childFields[i].Name));
        }

        ArrayData? dictionary = null;
        if (physical.Id == ArrowTypeId.Dictionary)
        {
            if (_dictionaryIndex >= _dictionaryIds.Count)
            {
                throw Malformed(path, "dictionary-encoded field without a dictionary id");
            }

            dictionary = _dictionary(_dictionaryIds[_dictionaryIndex++]);
        }

        if (physical.Id is ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion or ArrowTypeId.RunEndEncoded)
        {
            nullCount = 0;
        }
        else if (physical.Id == ArrowTypeId.Null)
        {
            nullCount = length;
        }

        return new ArrayData(type, length, nullCount, 0, buffers, children, dictionary);
    }

    /// <summary>
    /// Upper bound for a var-width data buffer: the last offset, read from the offsets buffer just
    /// loaded. A short offsets buffer gives no bound here; the validator rejects it afterwards.
    /// </summary>
    private static long LastOffset(List<ReadOnlyMemory<byte>> buffers, BufferKind offsetsKind, int length)
    {
        var offsets = buffers[^1].Span;
        int width = offsetsKind == BufferKind.Offsets64 ? 8 : 4;
        if (offsets.Length < (length + 1L) * width)
        {
            return int.MaxValue;
        }

        long last = width == 8 ? MemoryMarshal.Cast<byte, long>(offsets)[length] : MemoryMarshal.Cast<byte, int>(offsets)[length];
        return Math.Clamp(last, 0, int.MaxValue);
    }

    private ReadOnlyMemory<byte> NextBuffer(Validation.ValidationPath path, BufferLabel what, long maxLength)
    {
        if (_buffer >= _header.Buffers.Length)
        {
            throw Malformed(path, $"the message has only {_header.Buffers.Length} buffers ({what} missing)");
        }

        int index = _buffer++;
        var (offset, length) = _header.Buffers[index];
        if (offset < 0 || length < 0 || offset > _body.Length || length > _body.Length - offset)
        {
            throw Malformed(path, $"{what} buffer {index} at [{offset}, +{length}) lies outside the {_body.Length}-byte body");
        }

        var stored = _body.Slice((int)offset, (int)length);
        if (_header.Codec == CompressionCodec.None || length == 0)
        {
            return stored;
        }

        // The claimed size is taken from the budget before anything is allocated for it.
        if (stored.Length >= BodyCompression.PrefixSize
            && System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(stored.Span) is var claimed and > 0)
        {
            _budget.Take(claimed, path.ToString());
        }

        // Writers may send a little more than the array needs (padded allocations), never much more:
        // the slack keeps a hostile length prefix from allocating beyond what the array could use.
        return BodyCompression.DecompressBuffer(_header.Codec, stored, Math.Min(Math.Max(maxLength, 0) + 4096, int.MaxValue));
    }

    // Which buffer of an array an error is about; named only when one is thrown.
    private readonly struct BufferLabel(BufferKind kind, long variadic = -1, bool unionValidityV4 = false)
    {
        public static BufferLabel UnionValidityV4 => new(BufferKind.Validity, unionValidityV4: true);

        public static BufferLabel Variadic(long index) => new(BufferKind.Data, index);

        public override string ToString() =>
            unionValidityV4 ? "union validity (V4)" : variadic >= 0 ? $"variadic data {variadic}" : kind.ToString();
    }
}
