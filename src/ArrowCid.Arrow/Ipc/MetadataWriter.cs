using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.FlatBuffers;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// Writes Schema.fbs/Message.fbs flatbuffers. The layout is fixed: for a given input, the same calls
/// in the same order, so the bytes are deterministic (the canonical form relies on this).
/// Dictionary ids are assigned 0, 1, 2… in depth-first pre-order of the fields, descending into a
/// dictionary's value type right after the dictionary field itself.
/// </summary>
internal static class MetadataWriter
{
    // Schema messages already built, per schema object (schemas are immutable): a stream of small
    // tables of one schema (every put of a canonical block) builds its flatbuffer once. Shared
    // arrays: an encoded message's metadata is only ever read.
    private static readonly ConditionalWeakTable<Schema, byte[]> SchemaMessages = new();
    private static readonly ConditionalWeakTable<Schema, byte[]> SortedSchemaMessages = new();

    /// <summary>Builds a complete Message flatbuffer holding a Schema (the same array for the same schema object; never write to it).</summary>
    public static byte[] SchemaMessage(Schema schema, bool sortMetadata) => sortMetadata
        ? SortedSchemaMessages.GetValue(schema, static s => BuildSchemaMessage(s, sortMetadata: true))
        : SchemaMessages.GetValue(schema, static s => BuildSchemaMessage(s, sortMetadata: false));

    private static byte[] BuildSchemaMessage(Schema schema, bool sortMetadata)
    {
        var b = new FlatBufferBuilder();
        int schemaOffset = WriteSchema(b, schema, sortMetadata);
        return FinishMessage(b, FbMessageHeader.Schema, schemaOffset, 0);
    }

    /// <summary>Writes a Schema table and returns its offset.</summary>
    public static int WriteSchema(FlatBufferBuilder b, Schema schema, bool sortMetadata)
    {
        int nextId = 0;
        var fieldOffsets = new int[schema.Fields.Length];
        for (int i = 0; i < fieldOffsets.Length; i++)
        {
            fieldOffsets[i] = WriteField(b, schema.Fields[i], ref nextId, sortMetadata);
        }

        int fields = b.CreateOffsetVector(fieldOffsets);
        int metadata = WriteMetadata(b, schema.Metadata, sortMetadata);
        b.StartTable(SchemaSlots.Count);
        b.AddOffset(SchemaSlots.Fields, fields);
        if (metadata != 0)
        {
            b.AddOffset(SchemaSlots.CustomMetadata, metadata);
        }

        return b.EndTable();
    }

    private static int WriteField(FlatBufferBuilder b, Field field, ref int nextId, bool sortMetadata)
    {
        var (type, metadata) = ExtensionTypes.ToFieldMetadata(field);
        int dictionaryId = -1;
        ArrowType? indexType = null;
        bool ordered = false;
        if (type.Id == ArrowTypeId.Dictionary)
        {
            dictionaryId = nextId++;
            indexType = type.IndexType;
            ordered = type.Ordered;
            type = type.ValueType!.PhysicalType;
        }

        var childOffsets = new int[type.Children.Length];
        for (int i = 0; i < childOffsets.Length; i++)
        {
            childOffsets[i] = WriteField(b, type.Children[i], ref nextId, sortMetadata);
        }

        int name = b.CreateString(field.Name);
        var (typeTag, typeOffset) = WriteType(b, type);
        int dictionary = 0;
        if (dictionaryId >= 0)
        {
            int index = WriteInt(b, indexType!);
            b.StartTable(DictionaryEncodingSlots.Count);
            b.AddScalar<long>(DictionaryEncodingSlots.Id, dictionaryId, 0);
            b.AddOffset(DictionaryEncodingSlots.IndexType, index);
            b.AddBool(DictionaryEncodingSlots.IsOrdered, ordered, false);
            dictionary = b.EndTable();
        }

        int children = b.CreateOffsetVector(childOffsets);
        int metadataOffset = WriteMetadata(b, metadata, sortMetadata);

        b.StartTable(FieldSlots.Count);
        b.AddOffset(FieldSlots.Name, name);
        b.AddBool(FieldSlots.Nullable, field.Nullable, false);
        b.AddScalar(FieldSlots.TypeType, (byte)typeTag, (byte)0);
        b.AddOffset(FieldSlots.Type, typeOffset);
        if (dictionary != 0)
        {
            b.AddOffset(FieldSlots.Dictionary, dictionary);
        }

        b.AddOffset(FieldSlots.Children, children);
        if (metadataOffset != 0)
        {
            b.AddOffset(FieldSlots.CustomMetadata, metadataOffset);
        }

        return b.EndTable();
    }

    private static int WriteInt(FlatBufferBuilder b, ArrowType t)
    {
        b.StartTable(2);
        b.AddScalar(0, t.BitWidth, 0);
        b.AddBool(1, t.IsSignedInteger, false);
        return b.EndTable();
    }

    private static short UnitCode(TimeUnit unit) => (short)unit;

    private static (FbType Tag, int Offset) WriteType(FlatBufferBuilder b, ArrowType t)
    {
        int Empty()
        {
            b.StartTable(0);
            return b.EndTable();
        }

        switch (t.Id)
        {
            case ArrowTypeId.Null: return (FbType.Null, Empty());
            case ArrowTypeId.Boolean: return (FbType.Bool, Empty());
            case ArrowTypeId.Int8 or ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64
                or ArrowTypeId.UInt8 or ArrowTypeId.UInt16 or ArrowTypeId.UInt32 or ArrowTypeId.UInt64:
                return (FbType.Int, WriteInt(b, t));
            case ArrowTypeId.Float16 or ArrowTypeId.Float32 or ArrowTypeId.Float64:
                b.StartTable(1);
                b.AddScalar<short>(0, (short)(t.Id - ArrowTypeId.Float16), 0);
                return (FbType.FloatingPoint, b.EndTable());
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
                b.StartTable(3);
                b.AddScalar(0, t.Precision, 0);
                b.AddScalar(1, t.Scale, 0);
                b.AddScalar(2, t.BitWidth, 128);
                return (FbType.Decimal, b.EndTable());
            case ArrowTypeId.Date32 or ArrowTypeId.Date64:
                b.StartTable(1);
                b.AddScalar<short>(0, (short)(t.Id == ArrowTypeId.Date32 ? 0 : 1), 1);
                return (FbType.Date, b.EndTable());
            case ArrowTypeId.Time32 or ArrowTypeId.Time64:
                b.StartTable(2);
                b.AddScalar(0, UnitCode(t.Unit), (short)1);
                b.AddScalar(1, t.BitWidth, 32);
                return (FbType.Time, b.EndTable());
            case ArrowTypeId.Timestamp:
            {
                int tz = t.TimeZone is null ? 0 : b.CreateString(t.TimeZone);
                b.StartTable(2);
                b.AddScalar(0, UnitCode(t.Unit), (short)0);
                if (tz != 0)
                {
                    b.AddOffset(1, tz);
                }

                return (FbType.Timestamp, b.EndTable());
            }

            case ArrowTypeId.Duration:
                b.StartTable(1);
                b.AddScalar(0, UnitCode(t.Unit), (short)1);
                return (FbType.Duration, b.EndTable());
            case ArrowTypeId.IntervalYearMonth or ArrowTypeId.IntervalDayTime or ArrowTypeId.IntervalMonthDayNano:
                b.StartTable(1);
                b.AddScalar<short>(0, (short)(t.Id - ArrowTypeId.IntervalYearMonth), 0);
                return (FbType.Interval, b.EndTable());
            case ArrowTypeId.Binary: return (FbType.Binary, Empty());
            case ArrowTypeId.Utf8: return (FbType.Utf8, Empty());
            case ArrowTypeId.LargeBinary: return (FbType.LargeBinary, Empty());
            case ArrowTypeId.LargeUtf8: return (FbType.LargeUtf8, Empty());
            case ArrowTypeId.BinaryView: return (FbType.BinaryView, Empty());
            case ArrowTypeId.Utf8View: return (FbType.Utf8View, Empty());
            case ArrowTypeId.FixedSizeBinary:
                b.StartTable(1);
                b.AddScalar(0, t.ByteWidth, 0);
                return (FbType.FixedSizeBinary, b.EndTable());
            case ArrowTypeId.List: return (FbType.List, Empty());
            case ArrowTypeId.LargeList: return (FbType.LargeList, Empty());
            case ArrowTypeId.ListView: return (FbType.ListView, Empty());
            case ArrowTypeId.LargeListView: return (FbType.LargeListView, Empty());
            case ArrowTypeId.FixedSizeList:
                b.StartTable(1);
                b.AddScalar(0, t.ListSize, 0);
                return (FbType.FixedSizeList, b.EndTable());
            case ArrowTypeId.Struct: return (FbType.Struct, Empty());
            case ArrowTypeId.Map:
                b.StartTable(1);
                b.AddBool(0, t.KeysSorted, false);
                return (FbType.Map, b.EndTable());
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
            {
                var codes = t.TypeCodes.Select(c => (int)c).ToArray();
                int ids = b.CreateVector<int>(codes);
                b.StartTable(2);
                b.AddScalar<short>(0, (short)(t.Id == ArrowTypeId.DenseUnion ? 1 : 0), 0);
                b.AddOffset(1, ids);
                return (FbType.Union, b.EndTable());
            }

            case ArrowTypeId.RunEndEncoded: return (FbType.RunEndEncoded, Empty());
            default:
                throw new InvalidOperationException($"no IPC type for {t}");
        }
    }

    private static int WriteMetadata(FlatBufferBuilder b, ImmutableArray<KeyValuePair<string, string>> metadata, bool sort)
    {
        if (metadata.IsDefaultOrEmpty)
        {
            return 0;
        }

        var pairs = sort ? [.. KeyValueMetadata.Sorted(metadata)] : metadata.ToArray();
        var offsets = new int[pairs.Length];
        for (int i = 0; i < pairs.Length; i++)
        {
            int key = b.CreateString(pairs[i].Key);
            int value = b.CreateString(pairs[i].Value);
            b.StartTable(KeyValueSlots.Count);
            b.AddOffset(KeyValueSlots.Key, key);
            b.AddOffset(KeyValueSlots.Value, value);
            offsets[i] = b.EndTable();
        }

        return b.CreateOffsetVector(offsets);
    }

    /// <summary>Builds a RecordBatch table (without the Message around it).</summary>
    public static int WriteRecordBatch(FlatBufferBuilder b, long length, BodyPlan plan, IReadOnlyList<(long Offset, long Length)> buffers, CompressionCodec codec)
    {
        int variadic, compression = 0, bufferVector, nodeVector;
        // Packed into one pooled array (the builder copies them): nodes, then buffers.
        int nodeLength = plan.Nodes.Count * 16;
        byte[] packed = ArrayPool<byte>.Shared.Rent(nodeLength + (buffers.Count * 16));
        try
        {
            var nodeBytes = packed.AsSpan(0, nodeLength);
            for (int i = 0; i < plan.Nodes.Count; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(nodeBytes[(i * 16)..], plan.Nodes[i].Length);
                BinaryPrimitives.WriteInt64LittleEndian(nodeBytes[((i * 16) + 8)..], plan.Nodes[i].NullCount);
            }

            var bufferBytes = packed.AsSpan(nodeLength, buffers.Count * 16);
            for (int i = 0; i < buffers.Count; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bufferBytes[(i * 16)..], buffers[i].Offset);
                BinaryPrimitives.WriteInt64LittleEndian(bufferBytes[((i * 16) + 8)..], buffers[i].Length);
            }

            variadic = plan.HasViews ? b.CreateVector<long>(CollectionsMarshal.AsSpan(plan.VariadicCounts)) : 0;
            if (codec != CompressionCodec.None)
            {
                b.StartTable(BodyCompressionSlots.Count);
                b.AddScalarForced<sbyte>(BodyCompressionSlots.Codec, (sbyte)(codec == CompressionCodec.Lz4Frame ? 0 : 1));
                compression = b.EndTable();
            }

            bufferVector = b.CreateStructVector(bufferBytes, 16, 8);
            nodeVector = b.CreateStructVector(nodeBytes, 16, 8);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packed);
        }

        b.StartTable(RecordBatchSlots.Count);
        b.AddScalar(RecordBatchSlots.Length, length, 0L);
        b.AddOffset(RecordBatchSlots.Nodes, nodeVector);
        b.AddOffset(RecordBatchSlots.Buffers, bufferVector);
        if (compression != 0)
        {
            b.AddOffset(RecordBatchSlots.Compression, compression);
        }

        if (variadic != 0)
        {
            b.AddOffset(RecordBatchSlots.VariadicBufferCounts, variadic);
        }

        return b.EndTable();
    }

    /// <summary>Wraps a header table in a Message (version V5) and finishes the flatbuffer, padded to 8 bytes.</summary>
    public static byte[] FinishMessage(FlatBufferBuilder b, FbMessageHeader kind, int header, long bodyLength)
    {
        b.StartTable(MessageSlots.Count);
        b.AddScalarForced(MessageSlots.Version, (short)MetadataVersion.V5);
        b.AddScalar(MessageSlots.HeaderType, (byte)kind, (byte)0);
        b.AddOffset(MessageSlots.Header, header);
        b.AddScalar(MessageSlots.BodyLength, bodyLength, 0L);
        int message = b.EndTable();
        return b.FinishToArray(message, 8);
    }

    /// <summary>A Message holding a DictionaryBatch around a RecordBatch table.</summary>
    public static int WriteDictionaryBatch(FlatBufferBuilder b, long id, int recordBatch, bool isDelta)
    {
        b.StartTable(DictionaryBatchSlots.Count);
        b.AddScalar(DictionaryBatchSlots.Id, id, 0L);
        b.AddOffset(DictionaryBatchSlots.Data, recordBatch);
        b.AddBool(DictionaryBatchSlots.IsDelta, isDelta, false);
        return b.EndTable();
    }

    /// <summary>
    /// The dictionaries of a batch with the ids <see cref="WriteSchema"/> gives their fields, inner
    /// dictionaries (used inside another dictionary's values) before the outer ones.
    /// </summary>
    public static IReadOnlyList<(long Id, ArrayData Values)> CollectDictionaries(RecordBatch batch)
    {
        // No list for a batch without dictionaries (most): every batch written asks.
        List<(long, ArrayData)>? result = null;
        int nextId = 0;
        foreach (var column in batch.Columns)
        {
            Collect(column, ref nextId, ref result);
        }

        return (IReadOnlyList<(long, ArrayData)>?)result ?? [];
    }

    private static void Collect(ArrayData a, ref int nextId, ref List<(long, ArrayData)>? sink)
    {
        var t = a.Type.PhysicalType;
        if (t.Id == ArrowTypeId.Dictionary)
        {
            int id = nextId++;
            var values = a.Dictionary ?? throw new ArgumentException($"dictionary array of type {a.Type} has no dictionary");
            foreach (var child in values.Children)
            {
                Collect(child, ref nextId, ref sink);
            }

            (sink ??= []).Add((id, values));
            return;
        }

        foreach (var child in a.Children)
        {
            Collect(child, ref nextId, ref sink);
        }
    }
}
