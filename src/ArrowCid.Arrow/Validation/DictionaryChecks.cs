using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Validation;

/// <summary>The dictionary must exist, have the value type and be valid; every valid index must fall inside it.</summary>
internal static class DictionaryChecks
{
    public static void Check(ArrayData array, ArrowType type, ValidationPath path, ValidationLevel level)
    {
        var dictionary = array.Dictionary ?? throw path.Error("dictionary-encoded array has no dictionary");
        if (!dictionary.Type.Equals(type.ValueType))
        {
            throw path.Error($"dictionary has type {dictionary.Type}, the type says {type.ValueType}");
        }

        var dictionaryPath = path.DictionaryValues();
        ArrayValidator.Check(dictionary, dictionaryPath, level);
        long size = dictionary.Length;
        var values = array.Buffers[1].Span;
        for (int i = 0; i < array.Length; i++)
        {
            if (!array.IsValid(i))
            {
                continue;
            }

            long index = ReadIndex(values, type.IndexType!.Id, array.Offset + i);
            if (index < 0 || index >= size)
            {
                throw path.Error($"index {index} at slot {i} is outside the dictionary of {size} values");
            }
        }
    }

    private static long ReadIndex(ReadOnlySpan<byte> values, ArrowTypeId indexType, int slot) => indexType switch
    {
        ArrowTypeId.Int8 => (sbyte)values[slot],
        ArrowTypeId.UInt8 => values[slot],
        ArrowTypeId.Int16 => MemoryMarshal.Cast<byte, short>(values)[slot],
        ArrowTypeId.UInt16 => MemoryMarshal.Cast<byte, ushort>(values)[slot],
        ArrowTypeId.Int32 => MemoryMarshal.Cast<byte, int>(values)[slot],
        ArrowTypeId.UInt32 => MemoryMarshal.Cast<byte, uint>(values)[slot],
        ArrowTypeId.Int64 => MemoryMarshal.Cast<byte, long>(values)[slot],
        // Above long.MaxValue reads as negative and is rejected with the rest.
        _ => (long)MemoryMarshal.Cast<byte, ulong>(values)[slot],
    };
}
