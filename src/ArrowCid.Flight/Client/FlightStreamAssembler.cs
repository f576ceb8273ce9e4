using System.Buffers;
using System.Buffers.Binary;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;

namespace ArrowCid.Flight.Client;

/// <summary>
/// Rebuilds canonical blocks from a DoGet stream and checks them against their CIDs: each FlightData
/// becomes 0xFFFFFFFF, int32 header length, header, body; a batch's messages plus the end-of-stream
/// marker must hash to the batch CID. For a table the schema message opens every chunk block, and
/// each record batch message closes one, whose CID the (verified) manifest tree names in row order.
/// </summary>
internal sealed class FlightStreamAssembler
{
    private readonly ArrayBufferWriter<byte> _current = new();
    private byte[]? _schema;

    /// <summary>Adds one message; returns the canonical bytes of a block when this message completed one.</summary>
    public byte[]? Add(FlightData data)
    {
        ReadOnlySpan<byte> header = data.DataHeader.Span;
        if (header.IsEmpty)
        {
            // Metadata-only messages (app_metadata) carry no IPC message.
            return null;
        }

        byte? type = MessageHeaderType.Peek(header);
        if (header.Length % 8 != 0 || type is null)
        {
            throw new RpcException(StatusCode.DataLoss, "the server sent a FlightData header that is not a padded IPC Message");
        }

        if (_schema is null)
        {
            if (type != MessageHeaderType.Schema)
            {
                throw new RpcException(StatusCode.DataLoss, "the stream does not start with a schema message");
            }

            var schema = new ArrayBufferWriter<byte>();
            Append(schema, header, data.DataBody.Span);
            _schema = schema.WrittenSpan.ToArray();
            return null;
        }

        if (type != MessageHeaderType.RecordBatch)
        {
            // A dictionary batch: kept until the record batch that closes the block.
            if (_current.WrittenCount == 0)
            {
                _current.Write(_schema);
            }

            Append(_current, header, data.DataBody.Span);
            return null;
        }

        // The record batch closes the block: build it in one array of exactly its size, so a large
        // body is copied once (growing a buffer writer would copy it again, and ToArray a third time).
        ReadOnlySpan<byte> opening = _current.WrittenCount == 0 ? _schema : _current.WrittenSpan;
        ReadOnlySpan<byte> body = data.DataBody.Span;
        byte[] block = GC.AllocateUninitializedArray<byte>(checked(opening.Length + 8 + header.Length + body.Length + 8));
        opening.CopyTo(block);
        int at = opening.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(at), 0xFFFFFFFF);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(at + 4), header.Length);
        at += 8;
        header.CopyTo(block.AsSpan(at));
        at += header.Length;
        body.CopyTo(block.AsSpan(at));
        at += body.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(at), 0xFFFFFFFF);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(at + 4), 0);
        _current.ResetWrittenCount();
        return block;
    }

    /// <summary>The stream ended: nothing may be left half-built.</summary>
    public void Finish()
    {
        if (_current.WrittenCount != 0)
        {
            throw new RpcException(StatusCode.DataLoss, "the stream ended inside a batch (dictionaries without their record batch)");
        }
    }

    /// <summary>Checks a batch block against the CID it should have.</summary>
    public static FetchedBatch Verify(Cid expected, byte[] block) =>
        expected.Verify(block)
            ? new FetchedBatch(expected, block)
            : throw new RpcException(StatusCode.DataLoss, $"the bytes received for {expected} do not hash to it (got {Cid.ForRaw(block)})");

    private static void Append(ArrayBufferWriter<byte> target, ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        var prefix = target.GetSpan(8);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix, 0xFFFFFFFF);
        BinaryPrimitives.WriteInt32LittleEndian(prefix[4..], header.Length);
        target.Advance(8);
        target.Write(header);
        target.Write(body);
    }
}
