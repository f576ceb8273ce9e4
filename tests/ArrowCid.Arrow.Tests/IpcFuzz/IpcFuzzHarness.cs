using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;

namespace ArrowCid.Arrow.Tests.IpcFuzz;

/// <summary>What one reader made of one input: its batches, or the ArrowFormatException's message.</summary>
internal sealed record ReadOutcome(IReadOnlyList<RecordBatch>? Batches, string? Rejection, long ReaderAllocatedBytes, bool TouchedEverything);

/// <summary>An exception thrown while reading the values of a batch a reader had accepted: a validation gap, never a rejection.</summary>
internal sealed class AcceptedBatchException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Feeds one input to a reader and reads everything it yields. Allocation is measured on the
/// calling thread around the reader's own calls only (constructor, ReadNext/ReadRecordBatch), not
/// around the test's value touching, so the bound applies to what the reader allocates.
/// </summary>
internal static class IpcFuzzHarness
{
    /// <summary>Slot visits per reader per input (see <see cref="ValueToucher"/>).</summary>
    public const long TouchBudget = 1 << 20;

    public static ReadOutcome StreamFromMemory(byte[] input, IpcReadOptions options) =>
        Read(() =>
        {
            var reader = new ArrowStreamReader(StreamPart(input), options);
            return (reader, reader.ReadNext);
        });

    public static ReadOutcome StreamFromNonSeekable(byte[] input, IpcReadOptions options, int chunkSeed) =>
        Read(() =>
        {
            var reader = new ArrowStreamReader(new NonSeekableStream(StreamPart(input), chunkSeed), options);
            return (reader, reader.ReadNext);
        });

    public static ReadOutcome FileFromMemory(byte[] input, IpcReadOptions options) =>
        Read(() =>
        {
            var reader = new ArrowFileReader(input, options);
            int next = 0;
            return (reader, () => next < reader.RecordBatchCount ? reader.ReadRecordBatch(next++) : null);
        });

    /// <summary>The stream readers get an IPC file's embedded stream (after the 8-byte magic and padding), else the input itself.</summary>
    public static ReadOnlyMemory<byte> StreamPart(byte[] input) =>
        input.Length >= 8 && input.AsSpan(0, 6).SequenceEqual("ARROW1"u8) ? input.AsMemory(8) : input;

    private static ReadOutcome Read(Func<(IDisposable Reader, Func<RecordBatch?> Next)> open)
    {
        long allocated = 0;
        long budget = TouchBudget;
        bool complete = true;
        var batches = new List<RecordBatch>();
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var (reader, next) = open();
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            using (reader)
            {
                while (true)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                    var batch = next();
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                    if (batch is null)
                    {
                        break;
                    }

                    batches.Add(batch);
                    try
                    {
                        complete &= ValueToucher.Touch(batch, ref budget);
                    }
                    catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                    {
                        throw new AcceptedBatchException($"batch {batches.Count - 1} was accepted but reading its values threw {ex.GetType().Name}: {ex.Message}", ex);
                    }
                }
            }

            return new ReadOutcome(batches, null, allocated, complete);
        }
        catch (ArrowFormatException ex)
        {
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            return new ReadOutcome(null, ex.Message, allocated, complete);
        }
    }
}

/// <summary>A read-only, non-seekable stream that hands out its bytes in seeded random chunk sizes (1 byte to 4 KiB).</summary>
internal sealed class NonSeekableStream(ReadOnlyMemory<byte> data, int seed) : Stream
{
    private readonly Random _chunks = new(seed);
    private int _at;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(buffer.Length, data.Length - _at), _chunks.Next(8) == 0 ? 1 : 1 + _chunks.Next(4096));
        data.Span.Slice(_at, n).CopyTo(buffer);
        _at += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
