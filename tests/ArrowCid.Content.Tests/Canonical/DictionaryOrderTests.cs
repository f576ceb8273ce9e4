using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>
/// The normaliser's quick acceptance of dictionary arrays whose indices are already in first-use
/// order: it must still rebuild every array that is not canonical for another reason (repeated or
/// null dictionary values, unused values, a non-zero index under a null slot), and return a
/// canonical one unchanged.
/// </summary>
public class DictionaryOrderTests
{
    private static readonly ArrowType Type = ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8);

    private static ArrayData Strings(params string?[] values)
    {
        var builder = new RecordBatchBuilder(new Schema([new Field("v", ArrowType.Utf8)]));
        foreach (var value in values)
        {
            builder.AppendRow(value);
        }

        return CanonicalArrays.Normalize(builder.Build().Columns[0]);
    }

    private static ArrayData Encoded(ArrayData dictionary, sbyte[] indices, bool[]? valid = null)
    {
        var validity = ReadOnlyMemory<byte>.Empty;
        int nulls = 0;
        if (valid is not null)
        {
            var bits = new byte[(indices.Length + 7) / 8];
            for (int i = 0; i < indices.Length; i++)
            {
                if (valid[i])
                {
                    bits[i >> 3] |= (byte)(1 << (i & 7));
                }
                else
                {
                    nulls++;
                }
            }

            validity = bits;
        }

        return new ArrayData(Type, indices.Length, nulls, 0, [validity, (byte[])(Array)indices], [], dictionary);
    }

    private static void AssertNormalisedTo(ArrayData input, string?[] expectedValues, sbyte[] expectedIndices)
    {
        var canonical = CanonicalArrays.Normalize(input);
        Assert.True(ArrayEquality.Equals(input, canonical, out var difference), difference);
        Assert.Equal(expectedValues, Enumerable.Range(0, canonical.Dictionary!.Length).Select(i => canonical.Dictionary.IsValid(i) ? canonical.Dictionary.GetString(i) : null));
        Assert.Equal(expectedIndices, canonical.Buffers[1].ToArray().Select(b => (sbyte)b));
    }

    [Fact]
    public void A_canonical_dictionary_array_comes_back_unchanged()
    {
        var input = Encoded(Strings("red", "green"), [0, 1, 0, 0], [true, true, false, true]);
        Assert.Same(input, CanonicalArrays.Normalize(input));
    }

    [Fact]
    public void Repeated_dictionary_values_in_first_use_order_are_merged()
    {
        AssertNormalisedTo(Encoded(Strings("red", "green", "red"), [0, 1, 2, 1]), ["red", "green"], [0, 1, 0, 1]);
    }

    [Fact]
    public void A_null_dictionary_value_makes_its_slots_null()
    {
        AssertNormalisedTo(Encoded(Strings("red", null), [0, 1, 0]), ["red"], [0, 0, 0]);
    }

    [Fact]
    public void Unused_dictionary_values_are_dropped()
    {
        AssertNormalisedTo(Encoded(Strings("red", "green", "blue"), [0, 1, 1]), ["red", "green"], [0, 1, 1]);
    }

    [Theory]
    [InlineData(-3, "is negative")]
    [InlineData(2, "is outside a dictionary of 2")]
    public void A_valid_slot_whose_index_is_not_in_the_dictionary_is_refused_among_nulls_that_hold_anything(int bad, string why)
    {
        // Null slots may hold any index (here the same bad one): only the valid slot 3 is refused.
        var input = Encoded(Strings("red", "green"), [1, (sbyte)bad, 0, (sbyte)bad, (sbyte)bad], [true, false, true, true, false]);
        var error = Assert.Throws<ArgumentException>(() => CanonicalArrays.Normalize(input));
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("slot 3", error.Message, StringComparison.Ordinal);
        AssertNormalisedTo(Encoded(Strings("red", "green"), [1, (sbyte)bad, 0, 0, (sbyte)bad], [true, false, true, true, false]), ["green", "red"], [0, 0, 1, 1, 0]);
    }

    [Fact]
    public void A_null_slot_gets_index_zero()
    {
        AssertNormalisedTo(Encoded(Strings("red", "green"), [0, 1, 1], [true, true, false]), ["red", "green"], [0, 1, 0]);
    }
}
