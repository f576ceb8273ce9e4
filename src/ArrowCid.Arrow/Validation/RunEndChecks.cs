using ArrowCid.Arrow.Arrays;

namespace ArrowCid.Arrow.Validation;

/// <summary>
/// Run ends must be non-null, positive and strictly increasing, and the last must cover
/// offset + length; the values child needs a value for every run. Children are validated
/// before this runs, so their buffers can be read.
/// </summary>
internal static class RunEndChecks
{
    public static void Check(ArrayData array, ValidationPath path)
    {
        var runEnds = array.Children[0];
        var values = array.Children[1];
        if (runEnds.NullCount != 0)
        {
            throw path.Error($"run ends have {runEnds.NullCount} nulls");
        }

        if (values.Length < runEnds.Length)
        {
            throw path.Error($"values child has {values.Length} slots for {runEnds.Length} runs");
        }

        if (array.Length == 0)
        {
            return;
        }

        long previous = 0;
        for (int j = 0; j < runEnds.Length; j++)
        {
            long end = IntegerSlots.RunEnd(runEnds, runEnds.Offset + j);
            if (end <= previous)
            {
                throw path.Error($"run end {end} at run {j} is not greater than {previous}");
            }

            previous = end;
        }

        long needed = (long)array.Offset + array.Length;
        if (previous < needed)
        {
            throw path.Error($"last run end {previous} does not cover offset {array.Offset} + length {array.Length}");
        }
    }
}
