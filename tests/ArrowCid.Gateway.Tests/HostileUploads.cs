namespace ArrowCid.Gateway.Tests;

/// <summary>Small uploads that decode to far more than they are (issue 65); the abuse suite links this file too.</summary>
internal static class HostileUploads
{
    /// <summary>An Arrow stream of one dictionary-encoded column whose one 1 MiB value every one of <paramref name="rows"/> rows names: each chunk stores the value again.</summary>
    public static byte[] OneLargeDictionaryValue(int rows)
    {
        var type = Arrow.Types.ArrowType.Dictionary(Arrow.Types.ArrowType.Int32, Arrow.Types.ArrowType.Binary);
        var schema = new Arrow.Types.Schema([new Arrow.Types.Field("d", type)]);
        byte[] value = new byte[1 << 20];
        new Random(65).NextBytes(value);
        byte[] offsets = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(offsets.AsSpan(4), value.Length);
        var values = new Arrow.Arrays.ArrayData(Arrow.Types.ArrowType.Binary, 1, 0, 0, [ReadOnlyMemory<byte>.Empty, offsets, value]);
        var indices = new Arrow.Arrays.ArrayData(type, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, new byte[4 * rows]], dictionary: values);
        using var stream = new MemoryStream();
        using (var ipc = new Arrow.Ipc.ArrowStreamWriter(stream, schema, leaveOpen: true))
        {
            ipc.Write(new Arrow.Arrays.RecordBatch(schema, rows, [indices]));
            ipc.Finish();
        }

        return stream.ToArray();
    }
}
