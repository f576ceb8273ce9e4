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

    // int32 indices over a plain range take a path of their own (one pass, no widening).
    private static readonly ArrowType Int32Type = ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8);

    private static ArrayData Strings(params string?[] values)
    {
        var builder = new RecordBatchBuilder(new Schema([new Field("v", ArrowType.Utf8)]));
        foreach (var value in values)
        {
            builder.AppendRow(value);
        }

        return CanonicalArrays.Normalize(builder.Build().Columns[0]);
    }

    private static ArrayData Encoded(ArrayData dictionary, sbyte[] indices, bool[]? valid = null, bool int32 = false)
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

        byte[] indexBytes = int32 ? indices.SelectMany(i => BitConverter.GetBytes((int)i)).ToArray() : (byte[])(Array)indices;
        return new ArrayData(int32 ? Int32Type : Type, indices.Length, nulls, 0, [validity, indexBytes], [], dictionary);
    }

    private static void AssertNormalisedTo(ArrayData input, string?[] expectedValues, sbyte[] expectedIndices)
    {
        var canonical = CanonicalArrays.Normalize(input);
        Assert.True(ArrayEquality.Equals(input, canonical, out var difference), difference);
        Assert.Equal(expectedValues, Enumerable.Range(0, canonical.Dictionary!.Length).Select(i => canonical.Dictionary.IsValid(i) ? canonical.Dictionary.GetString(i) : null));
        byte[] bytes = canonical.Buffers[1].ToArray();
        Assert.Equal(expectedIndices, input.Type.PhysicalType.IndexType!.Id == ArrowTypeId.Int32
            ? Enumerable.Range(0, canonical.Length).Select(i => (sbyte)BitConverter.ToInt32(bytes, (canonical.Offset + i) * 4))
            : bytes.Select(b => (sbyte)b));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_canonical_dictionary_array_comes_back_unchanged(bool int32)
    {
        var input = Encoded(Strings("red", "green"), [0, 1, 0, 0], [true, true, false, true], int32);
        Assert.Same(input, CanonicalArrays.Normalize(input));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Repeated_dictionary_values_in_first_use_order_are_merged(bool int32)
    {
        AssertNormalisedTo(Encoded(Strings("red", "green", "red"), [0, 1, 2, 1], null, int32), ["red", "green"], [0, 1, 0, 1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_null_dictionary_value_makes_its_slots_null(bool int32)
    {
        AssertNormalisedTo(Encoded(Strings("red", null), [0, 1, 0], null, int32), ["red"], [0, 0, 0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unused_dictionary_values_are_dropped(bool int32)
    {
        AssertNormalisedTo(Encoded(Strings("red", "green", "blue"), [0, 1, 1], null, int32), ["red", "green"], [0, 1, 1]);
    }

    [Theory]
    [InlineData(-3, "is negative", false)]
    [InlineData(2, "is outside a dictionary of 2", false)]
    [InlineData(-3, "is negative", true)]
    [InlineData(-1, "is negative", true)]
    [InlineData(2, "is outside a dictionary of 2", true)]
    public void A_valid_slot_whose_index_is_not_in_the_dictionary_is_refused_among_nulls_that_hold_anything(int bad, string why, bool int32)
    {
        // Null slots may hold any index (here the same bad one): only the valid slot 3 is refused.
        var input = Encoded(Strings("red", "green"), [1, (sbyte)bad, 0, (sbyte)bad, (sbyte)bad], [true, false, true, true, false], int32);
        var error = Assert.Throws<ArgumentException>(() => CanonicalArrays.Normalize(input));
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("slot 3", error.Message, StringComparison.Ordinal);
        AssertNormalisedTo(Encoded(Strings("red", "green"), [1, (sbyte)bad, 0, 0, (sbyte)bad], [true, false, true, true, false], int32), ["green", "red"], [0, 0, 1, 1, 0]);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 2)]
    [InlineData(13, 3)]
    public void Long_int32_arrays_renumber_as_slot_by_slot_whatever_their_offset(int offset, int seed)
    {
        // Long enough for the eight-at-a-time path, with a repeated and a null dictionary value,
        // nulls at random and a slice that starts inside a validity byte.
        string?[] words = ["red", "green", "red", null, "blue", "green", "teal"];
        var random = new Random(seed);
        int length = 1000;
        var indices = new sbyte[length];
        var valid = new bool[length];
        for (int i = 0; i < length; i++)
        {
            indices[i] = (sbyte)random.Next(words.Length);
            valid[i] = random.Next(5) != 0;
        }

        var input = Encoded(Strings(words), indices, valid, int32: true).Slice(offset, length - offset - 5);
        var values = new List<string>();
        var expected = new sbyte[input.Length];
        for (int k = 0; k < input.Length; k++)
        {
            string? word = valid[offset + k] ? words[indices[offset + k]] : null;
            if (word is not null)
            {
                int at = values.IndexOf(word);
                expected[k] = (sbyte)(at >= 0 ? at : values.Count);
                if (at < 0)
                {
                    values.Add(word);
                }
            }
        }

        AssertNormalisedTo(input, [.. values], expected);
    }

    [Theory]
    [InlineData(-1, "is negative")]
    [InlineData(-2, "is negative")]
    [InlineData(7, "is outside a dictionary of 3")]
    public void A_bad_index_deep_in_a_long_int32_array_is_refused_with_its_slot(int bad, string why)
    {
        var indices = Enumerable.Range(0, 600).Select(i => (sbyte)(i % 3)).ToArray();
        indices[517] = (sbyte)bad;
        var error = Assert.Throws<ArgumentException>(() => CanonicalArrays.Normalize(Encoded(Strings("red", "green", "blue"), indices, int32: true)));
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("slot 517", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_null_slot_gets_index_zero(bool int32)
    {
        AssertNormalisedTo(Encoded(Strings("red", "green"), [0, 1, 1], [true, true, false], int32), ["red", "green"], [0, 1, 0]);
    }
}
