using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.DagCbor;

/// <summary>
/// Writes DAG-CBOR tokens with the shortest heads, 64-bit floats and tag 42 links. It writes what
/// it is told in the order told: map key order is the caller's job (<see cref="DagCborEncoder"/>
/// gets it right for <see cref="DagNode"/> trees).
/// </summary>
public sealed class DagCborWriter
{
    /// <summary>The CBOR tag number for IPLD links.</summary>
    public const int CidTag = 42;

    private readonly IBufferWriter<byte> _output;

    /// <summary>Creates a writer that appends to <paramref name="output"/>.</summary>
    /// <param name="output">Destination buffer.</param>
    public DagCborWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Writes null.</summary>
    public void WriteNull() => WriteByte(0xF6);

    /// <summary>Writes true or false.</summary>
    /// <param name="value">The value.</param>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)0xF5 : (byte)0xF4);

    /// <summary>Writes an integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteInteger(long value)
    {
        if (value >= 0)
        {
            WriteHead(CborMajorType.UnsignedInteger, (ulong)value);
        }
        else
        {
            // Major type 1 carries -1 - n; for negative longs that is the bitwise complement.
            WriteHead(CborMajorType.NegativeInteger, (ulong)~value);
        }
    }

    /// <summary>Writes an unsigned integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteInteger(ulong value) => WriteHead(CborMajorType.UnsignedInteger, value);

    /// <summary>Writes a float, always in 64-bit form as DAG-CBOR requires.</summary>
    /// <param name="value">A finite value.</param>
    /// <exception cref="ArgumentException">NaN or infinite.</exception>
    public void WriteFloat(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("DAG-CBOR floats must be finite (no NaN or Infinity).", nameof(value));
        }

        var span = _output.GetSpan(9);
        span[0] = 0xFB;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    /// <summary>Writes a text string.</summary>
    /// <param name="value">The string.</param>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteUtf8String(Encoding.UTF8.GetBytes(value));
    }

    /// <summary>Writes a text string given as UTF-8 bytes (assumed valid).</summary>
    /// <param name="utf8">The UTF-8 bytes.</param>
    public void WriteUtf8String(ReadOnlySpan<byte> utf8)
    {
        WriteHead(CborMajorType.TextString, (ulong)utf8.Length);
        WriteRaw(utf8);
    }

    /// <summary>Writes a byte string.</summary>
    /// <param name="value">The bytes.</param>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteHead(CborMajorType.ByteString, (ulong)value.Length);
        WriteRaw(value);
    }

    /// <summary>Starts a list of <paramref name="count"/> items (definite length).</summary>
    /// <param name="count">Number of items that follow.</param>
    public void WriteStartList(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        WriteHead(CborMajorType.Array, (ulong)count);
    }

    /// <summary>Starts a map of <paramref name="count"/> entries (definite length).</summary>
    /// <param name="count">Number of key/value pairs that follow.</param>
    public void WriteStartMap(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        WriteHead(CborMajorType.Map, (ulong)count);
    }

    /// <summary>Writes a link: tag 42 around a byte string of 0x00 then the binary CID.</summary>
    /// <param name="cid">The CID.</param>
    public void WriteLink(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        WriteByte(0xD8);
        WriteByte(CidTag);
        WriteHead(CborMajorType.ByteString, (ulong)cid.EncodedLength + 1);
        var span = _output.GetSpan(cid.EncodedLength + 1);
        span[0] = 0x00; // the multibase identity prefix the spec keeps for history's sake
        cid.WriteTo(span[1..]);
        _output.Advance(cid.EncodedLength + 1);
    }

    private void WriteHead(CborMajorType major, ulong argument)
    {
        byte high = (byte)((int)major << 5);
        var span = _output.GetSpan(9);
        int length;
        if (argument < 24)
        {
            span[0] = (byte)(high | (byte)argument);
            length = 1;
        }
        else if (argument <= byte.MaxValue)
        {
            span[0] = (byte)(high | 24);
            span[1] = (byte)argument;
            length = 2;
        }
        else if (argument <= ushort.MaxValue)
        {
            span[0] = (byte)(high | 25);
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)argument);
            length = 3;
        }
        else if (argument <= uint.MaxValue)
        {
            span[0] = (byte)(high | 26);
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)argument);
            length = 5;
        }
        else
        {
            span[0] = (byte)(high | 27);
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], argument);
            length = 9;
        }

        _output.Advance(length);
    }

    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes) => _output.Write(bytes);
}
