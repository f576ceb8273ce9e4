using ArrowCid.Flight.Protocol;
using Google.Protobuf;

namespace ArrowCid.Flight;

/// <summary>
/// Parses a FlightData message held in memory the message may keep, leaving <c>data_body</c>
/// (field 1000) in place: protobuf's own parser would copy the body into a new ByteString, which for
/// a 64 MiB batch is as expensive as receiving it.
/// </summary>
/// <remarks>
/// The top-level fields are walked with the wire format (tag varint, then a varint, 8 bytes, a
/// length-delimited run or 4 bytes). The last length-delimited field 1000 becomes
/// <c>data_body</c>, wrapped without copying; every other field (descriptor, header, metadata,
/// unknown fields, a field 1000 of another wire type) is handed to protobuf in runs of whole
/// fields, so it gets exactly protobuf's treatment (merging a message's fields in order is what
/// parsing it does). Anything irregular — a bad varint, a length past the end, a group, an invalid
/// wire type — is left entirely to protobuf's parser, so errors and edge cases are protobuf's own.
/// </remarks>
internal static class FlightDataParsing
{
    private const uint DataBodyField = 1000;

    private const int LengthDelimited = 2;

    /// <summary>Parses <paramref name="payload"/>, which the returned message may alias (the caller gives it up).</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a FlightData message.</exception>
    public static FlightData ParseOwned(ReadOnlyMemory<byte> payload)
    {
        ReadOnlySpan<byte> bytes = payload.Span;
        if (!TryFindBody(bytes, out int bodyStart, out int bodyLength))
        {
            return FlightData.Parser.ParseFrom(bytes);
        }

        var data = new FlightData();
        int runStart = 0;
        int position = 0;
        while (position < bytes.Length)
        {
            int fieldStart = position;
            SkipField(bytes, ref position, out uint field, out int wireType);
            if (field == DataBodyField && wireType == LengthDelimited)
            {
                if (fieldStart > runStart)
                {
                    data.MergeFrom(bytes[runStart..fieldStart]);
                }

                runStart = position;
            }
        }

        if (bytes.Length > runStart)
        {
            data.MergeFrom(bytes[runStart..]);
        }

        // Set after the merges: a data_body is only ever taken from the walk above, never from a run.
        data.DataBody = UnsafeByteOperations.UnsafeWrap(payload.Slice(bodyStart, bodyLength));
        return data;
    }

    /// <summary>
    /// Walks the top-level fields; true when they are all well formed and one of them is a
    /// length-delimited field 1000 (the last such one is reported, as protobuf keeps the last).
    /// </summary>
    private static bool TryFindBody(ReadOnlySpan<byte> payload, out int bodyStart, out int bodyLength)
    {
        bodyStart = bodyLength = -1;
        int position = 0;
        while (position < payload.Length)
        {
            if (!TrySkipField(payload, ref position, out uint field, out int wireType, out int valueStart))
            {
                return false;
            }

            if (field == DataBodyField && wireType == LengthDelimited)
            {
                bodyStart = valueStart;
                bodyLength = position - valueStart;
            }
        }

        return bodyStart >= 0;
    }

    /// <summary>Skips one field already known to be well formed (<see cref="TryFindBody"/> has walked them all).</summary>
    private static void SkipField(ReadOnlySpan<byte> payload, ref int position, out uint field, out int wireType)
    {
        if (!TrySkipField(payload, ref position, out field, out wireType, out _))
        {
            throw new InvalidOperationException("a field that was well formed on the first walk is not on the second");
        }
    }

    /// <summary>Skips one top-level field; false for anything protobuf should judge itself.</summary>
    private static bool TrySkipField(ReadOnlySpan<byte> payload, ref int position, out uint field, out int wireType, out int valueStart)
    {
        field = 0;
        wireType = -1;
        valueStart = -1;
        if (!TryReadVarint(payload, ref position, out ulong tag) || tag > uint.MaxValue)
        {
            return false;
        }

        field = (uint)tag >> 3;
        wireType = (int)(tag & 7);
        if (field == 0)
        {
            return false;
        }

        switch (wireType)
        {
            case 0:
                valueStart = position;
                return TryReadVarint(payload, ref position, out _);
            case 1:
                valueStart = position;
                return Advance(payload, ref position, 8);
            case LengthDelimited:
                if (!TryReadVarint(payload, ref position, out ulong length) || length > int.MaxValue)
                {
                    return false;
                }

                valueStart = position;
                return Advance(payload, ref position, (long)length);
            case 5:
                valueStart = position;
                return Advance(payload, ref position, 4);
            default:
                // Groups (3, 4) and the invalid wire types 6 and 7.
                return false;
        }
    }

    private static bool Advance(ReadOnlySpan<byte> payload, ref int position, long count)
    {
        if (payload.Length - position < count)
        {
            return false;
        }

        position += (int)count;
        return true;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> payload, ref int position, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= payload.Length)
            {
                return false;
            }

            byte b = payload[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        // More than ten bytes: not a varint.
        return false;
    }
}
