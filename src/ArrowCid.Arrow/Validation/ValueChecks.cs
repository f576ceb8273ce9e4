using System.Text.Unicode;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Validation;

/// <summary>Full-level rules about values rather than memory: UTF-8 text, non-null map keys.</summary>
internal static class ValueChecks
{
    public static void Check(ArrayData array, ArrowType type, ValidationPath path)
    {
        switch (type.Id)
        {
            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View:
                CheckUtf8(array, path);
                break;
            case ArrowTypeId.Map:
                CheckMapKeys(array, path);
                break;
            default:
                break;
        }
    }

    private static void CheckUtf8(ArrayData array, ValidationPath path)
    {
        for (int i = 0; i < array.Length; i++)
        {
            if (array.IsValid(i) && !Utf8.IsValid(array.GetBytes(i)))
            {
                throw path.Error($"slot {i} is not valid UTF-8");
            }
        }
    }

    private static void CheckMapKeys(ArrayData array, ValidationPath path)
    {
        if (array.Length == 0)
        {
            return;
        }

        var keys = array.Children[0].Children[0];
        long start = array.GetListRange(0).Start;
        long end = array.GetListRange(array.Length - 1).End;
        for (long j = start; j < end; j++)
        {
            if (keys.IsNull((int)j))
            {
                throw path.Error($"map key at entry {j} is null");
            }
        }
    }
}
