using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>
/// A stream writer compares each batch's dictionaries with those it sent before. Callers may
/// dispose a batch, and so release or reuse the memory its dictionary lives in, once Write
/// returns (the gateway writes chunks read from blocks it then gives back): the writer must not
/// read that memory again.
/// </summary>
public sealed class StreamWriterDictionaryLifetimeTests
{
    private static readonly Schema DictionarySchema = new(
    [
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("color", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8)),
    ]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_batch_whose_memory_is_overwritten_after_write_does_not_corrupt_the_next(bool deltas)
    {
        using var first = Build(0, ["red", "green", "blue"]);
        using var second = Build(100, ["red", "green", "blue", "cyan"]);
        using var third = Build(200, ["magenta", "yellow"]);
        using var output = new MemoryStream();
        using (var writer = new ArrowStreamWriter(output, DictionarySchema, new IpcWriteOptions { EmitDictionaryDeltas = deltas }, leaveOpen: true))
        {
            foreach (var source in new[] { first, second, third })
            {
                // The batch handed to the writer lives in a buffer the caller wipes once Write returns.
                byte[] buffer = Encode(source);
                using (var reader = new ArrowStreamReader(buffer.AsMemory()))
                using (var batch = reader.ReadNext()!)
                {
                    writer.Write(batch);
                }

                Array.Fill(buffer, (byte)0xFF);
            }

            writer.Finish();
        }

        using var back = new ArrowStreamReader(output.ToArray().AsMemory());
        foreach (var expected in new[] { first, second, third })
        {
            using var actual = back.ReadNext();
            Assert.NotNull(actual);
            Assert.True(ArrayEquality.Equals(expected, actual, out string? difference), difference);
        }

        Assert.Null(back.ReadNext());
    }

    private static RecordBatch Build(long start, string[] colors)
    {
        var builder = new RecordBatchBuilder(DictionarySchema);
        for (int i = 0; i < 12; i++)
        {
            builder.AppendRow(start + i, i % 5 == 0 ? null : colors[i % colors.Length]);
        }

        return builder.Build();
    }

    private static byte[] Encode(RecordBatch batch)
    {
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, batch.Schema, leaveOpen: true))
        {
            writer.Write(batch);
            writer.Finish();
        }

        return stream.ToArray();
    }
}
