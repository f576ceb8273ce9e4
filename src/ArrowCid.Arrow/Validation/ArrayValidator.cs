using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Validation;

/// <summary>
/// The gate for arrays built over untrusted bytes (IPC messages, shared memory, C Data imports).
/// After <see cref="Validate(ArrayData, ValidationLevel)"/> returns, every accessor of
/// <see cref="ArrayData"/> stays inside its buffers for every slot; anything else is reported as an
/// <see cref="ArrowFormatException"/> whose message names the column, child and buffer at fault.
/// Validation itself reads nothing before checking that it is there, and uses 64-bit arithmetic
/// for every size so that hostile lengths and offsets cannot overflow.
/// </summary>
public static class ArrayValidator
{
    /// <summary>Deepest nesting (children and dictionaries) accepted; deeper input is rejected rather than recursed into.</summary>
    public const int MaxDepth = 64;

    /// <summary>Checks one array (and everything under it); throws <see cref="ArrowFormatException"/> when it breaks the format.</summary>
    public static void Validate(ArrayData array, ValidationLevel level = ValidationLevel.Structural)
    {
        ArgumentNullException.ThrowIfNull(array);
        Check(array, ValidationPath.Root("array"), level);
    }

    /// <summary>Checks every column of a batch against its field and the batch length, then the column itself.</summary>
    public static void Validate(RecordBatch batch, ValidationLevel level = ValidationLevel.Structural)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Length < 0)
        {
            throw new ArrowFormatException($"record batch length {batch.Length} is negative");
        }

        var fields = batch.Schema.Fields;
        if (batch.Columns.Length != fields.Length)
        {
            throw new ArrowFormatException($"record batch has {batch.Columns.Length} columns for {fields.Length} fields");
        }

        for (int i = 0; i < fields.Length; i++)
        {
            var path = ValidationPath.Column(i, fields[i].Name);
            var column = batch.Columns[i];
            if (column.Length != batch.Length)
            {
                throw path.Error($"has {column.Length} slots, the batch {batch.Length} rows");
            }

            if (!column.Type.Equals(fields[i].Type))
            {
                throw path.Error($"array type {column.Type} does not match the field type {fields[i].Type}");
            }

            Check(column, path, level);
        }
    }

    /// <summary>The recursive walk: own buffers, then children, then the rules that tie them together.</summary>
    internal static void Check(ArrayData array, ValidationPath path, ValidationLevel level)
    {
        if (path.Depth > MaxDepth)
        {
            throw path.Error($"nested deeper than {MaxDepth} levels");
        }

        var type = array.Type.PhysicalType;
        TypeShapeChecks.Check(array, type, path);
        BufferChecks.Check(array, type, path);
        BufferChecks.CheckNullCount(array, type, path);
        for (int i = 0; i < array.Children.Length; i++)
        {
            Check(array.Children[i], path.Child(i, type.Children[i].Name), level);
        }

        switch (type.Id)
        {
            case ArrowTypeId.Binary or ArrowTypeId.Utf8 or ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
                OffsetChecks.CheckOffsets(array, array.Buffers[2].Length, "data buffer", path);
                break;
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.Map:
                OffsetChecks.CheckOffsets(array, array.Children[0].Length, "child", path);
                break;
            case ArrowTypeId.ListView or ArrowTypeId.LargeListView:
                OffsetChecks.CheckListViews(array, path);
                break;
            case ArrowTypeId.FixedSizeList:
                ChildLengthChecks.CheckFixedSizeList(array, type, path);
                break;
            case ArrowTypeId.Struct:
                ChildLengthChecks.CheckAligned(array, type, path);
                break;
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
                UnionChecks.Check(array, type, path);
                break;
            case ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
                ViewChecks.Check(array, level, path);
                break;
            case ArrowTypeId.RunEndEncoded:
                RunEndChecks.Check(array, path);
                break;
            case ArrowTypeId.Dictionary:
                DictionaryChecks.Check(array, type, path, level);
                break;
            default:
                break;
        }

        if (level == ValidationLevel.Full)
        {
            ValueChecks.Check(array, type, path);
        }
    }
}
