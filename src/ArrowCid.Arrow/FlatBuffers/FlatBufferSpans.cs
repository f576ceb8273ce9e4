using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace ArrowCid.Arrow.FlatBuffers;

/// <summary>
/// Bounds-checked primitives shared by <see cref="FlatTable"/> and <see cref="FlatVector"/>:
/// following a uoffset and reading strings. Every position is checked with 64-bit arithmetic so
/// no sum can overflow before it is compared with the buffer length.
/// </summary>
internal static class FlatBufferSpans
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Follows the uoffset stored at <paramref name="at"/> and returns the absolute position it
    /// names. The target must leave room for at least a 4-byte header (a vector or string length,
    /// or a table's soffset). A uoffset of 0 would point at itself, which no writer produces.
    /// </summary>
    public static int FollowUOffset(ReadOnlySpan<byte> buffer, int at, FlatLocation what)
    {
        if ((long)at + FlatBufferLimits.OffsetSize > buffer.Length || at < 0)
        {
            throw new ArrowFormatException($"flatbuffer: {what}: uoffset at {at} is outside the {buffer.Length}-byte buffer.") { Offset = at };
        }

        uint relative = BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(at, FlatBufferLimits.OffsetSize));
        if (relative == 0)
        {
            throw new ArrowFormatException($"flatbuffer: {what}: uoffset at {at} is 0 (points at itself).") { Offset = at };
        }

        long target = at + (long)relative;
        if (target + FlatBufferLimits.OffsetSize > buffer.Length)
        {
            throw new ArrowFormatException(
                $"flatbuffer: {what}: uoffset {relative} at {at} points to {target}, past the {buffer.Length}-byte buffer.");
        }

        return (int)target;
    }

    /// <summary>
    /// Validates a vector header at <paramref name="position"/>: its element count times
    /// <paramref name="elementSize"/> bytes must fit after the 4-byte length. Returns the count.
    /// </summary>
    public static int ReadVectorLength(ReadOnlySpan<byte> buffer, int position, int elementSize, FlatLocation what)
    {
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(position, FlatBufferLimits.OffsetSize));
        long first = position + (long)FlatBufferLimits.OffsetSize;
        long available = buffer.Length - first;
        if (count * (long)elementSize > available)
        {
            throw new ArrowFormatException(
                $"flatbuffer: {what}: vector at {position} claims {count} elements of {elementSize} bytes but only {available} bytes follow.");
        }

        return (int)count;
    }

    /// <summary>
    /// Returns the bytes of the string whose header is at <paramref name="position"/>, after
    /// checking that they fit and that the NUL terminator the format requires is present.
    /// </summary>
    public static ReadOnlySpan<byte> ReadStringBytes(ReadOnlySpan<byte> buffer, int position, FlatLocation what)
    {
        int length = ReadVectorLength(buffer, position, 1, what);
        long terminator = position + (long)FlatBufferLimits.OffsetSize + length;
        if (terminator >= buffer.Length)
        {
            throw new ArrowFormatException($"flatbuffer: {what}: string at {position} of {length} bytes has no room for its NUL terminator.") { Offset = position };
        }

        if (buffer[(int)terminator] != 0)
        {
            throw new ArrowFormatException($"flatbuffer: {what}: string at {position} of {length} bytes is not NUL-terminated.") { Offset = position };
        }

        return buffer.Slice(position + FlatBufferLimits.OffsetSize, length);
    }

    /// <summary>Decodes UTF-8 after validating it, so invalid bytes are an error rather than U+FFFD.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> utf8, int position, FlatLocation what)
    {
        if (!Utf8.IsValid(utf8))
        {
            throw new ArrowFormatException($"flatbuffer: {what}: string at {position} is not valid UTF-8.") { Offset = position };
        }

        return StrictUtf8.GetString(utf8);
    }
}
