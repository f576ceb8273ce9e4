using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// <see cref="TableChunker.Detach"/>: a writer hands the chunker a batch whose memory is given
/// back (a pooled gRPC message, a mapping) as soon as its completed chunks are stored, so the
/// rows held for the next chunk must be the chunker's own.
/// </summary>
public class TableChunkerDetachTests
{
    [Theory]
    [InlineData(TableChunkerMode.Inline)]
    [InlineData(TableChunkerMode.PrepareAhead)]
    public void After_Detach_the_producers_memory_may_be_wiped_and_the_chunks_are_unchanged(TableChunkerMode mode)
    {
        const int rows = 6_000;
        var expected = Chunked.Table(MixedTable.Schema, [MixedTable.Build(5, 0, rows)], Chunked.Small);
        Assert.True(expected.Chunks.Count > 10, $"{expected.Chunks.Count} chunks");

        using var chunker = new TableChunker(MixedTable.Schema, Chunked.Small, mode);
        var cids = new List<Content.Multiformats.Cid>();
        var table = MixedTable.Build(5, 0, rows);
        foreach (var piece in Chunked.Split(table.Slice(0, rows), Chunked.RandomCuts(new Random(8), rows, 30)))
        {
            // Each piece gets memory of its own, which is wiped once the chunker let go of it.
            var own = Copy(piece);
            cids.AddRange(chunker.Add(own).Select(c => c.ComputeCid()));
            chunker.Detach();
            Assert.False(chunker.Holds(own));
            Wipe(own);
        }

        cids.AddRange(chunker.Finish().Select(c => c.ComputeCid()));
        Assert.Equal(expected.Entries.Select(e => e.Cid), cids);
    }

    [Theory]
    [InlineData(TableChunkerMode.Inline)]
    [InlineData(TableChunkerMode.PrepareAhead)]
    public void Detach_keeps_an_empty_tables_schema_only_chunk(TableChunkerMode mode)
    {
        using var chunker = new TableChunker(MixedTable.Schema, mode);
        var empty = Copy(MixedTable.Build(1, 0, 0));
        chunker.Add(empty);
        chunker.Detach();
        Wipe(empty);
        var chunk = Assert.Single(chunker.Finish());
        Assert.Equal(CanonicalEncoder.ComputeCid(MixedTable.Build(1, 0, 0)), chunk.ComputeCid());
    }

    // A batch over arrays of its own: its canonical block read back.
    private static RecordBatch Copy(RecordBatch batch)
    {
        using var stream = new MemoryStream();
        CanonicalEncoder.Encode(batch, stream);
        using var reader = new Arrow.Ipc.ArrowStreamReader(stream.ToArray());
        return reader.ReadNext()!;
    }

    private static void Wipe(RecordBatch batch)
    {
        foreach (var column in batch.Columns)
        {
            Wipe(column);
        }
    }

    private static void Wipe(ArrayData array)
    {
        foreach (var buffer in array.Buffers)
        {
            if (MemoryMarshal.TryGetArray(buffer, out var segment))
            {
                segment.AsSpan().Fill(0xA5);
            }
        }

        foreach (var child in array.Children)
        {
            Wipe(child);
        }

        if (array.Dictionary is { } dictionary)
        {
            Wipe(dictionary);
        }
    }
}
