using System.Buffers.Binary;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Tests.Ipc;

namespace ArrowCid.Arrow.Tests.IpcFuzz;

/// <summary>
/// Found by <see cref="IpcFuzzTests"/> (ARROWCID_FUZZ_SEED=1, input 34599): a schema whose
/// fixed_size_binary byteWidth is int.MaxValue is accepted, and the first record batch then fails
/// with an OverflowException from TypeLayout.Of (checked(ByteWidth * 8)) instead of an
/// ArrowFormatException.
/// </summary>
public sealed class HugeTypeParameterTests
{
    /// <summary>generated_primitive_zerolength.stream: the int32 byteWidth of its first fixed_size_binary(19) field.</summary>
    private const int ByteWidthAt = 420;

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1 << 28)]
    public void A_fixed_size_binary_width_too_large_for_a_layout_is_a_format_error(int width)
    {
        byte[] bytes = File.ReadAllBytes(GoldenFiles.PathOf("1.0.0-littleendian/generated_primitive_zerolength", ".stream"));
        Assert.Equal(19, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(ByteWidthAt)));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(ByteWidthAt), width);

        var error = Record.Exception(() =>
        {
            using var reader = new ArrowStreamReader(bytes);
            while (reader.ReadNext() is not null)
            {
            }
        });
        Assert.True(error is ArrowFormatException, $"expected ArrowFormatException, got {error?.GetType().FullName ?? "no exception"}: {error}");
    }
}
