using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;

namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>
/// An IPC stream received asynchronously and read by the one stream reader: the reader never waits
/// on the source (its synchronous reads are served from messages already received), and reads the
/// same batches, dictionaries included, as from memory (issue 65: no thread blocked on a slow upload).
/// </summary>
public sealed class ReceivedIpcStreamTests
{
    public static IEnumerable<object[]> Cases() => GoldenFiles.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_stream_trickling_in_reads_as_the_golden_batches_without_a_synchronous_read_of_the_source(string name)
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz"));
        byte[] stream = File.ReadAllBytes(GoldenFiles.PathOf(name, ".stream"));
        using var source = new TrickleStream(stream);
        using var received = new ReceivedIpcStream(source);

        await received.FillAsync();
        using var reader = new ArrowStreamReader(received, leaveOpen: true);
        var batches = new List<ArrowCid.Arrow.Arrays.RecordBatch>();
        while (reader.ReadNext() is { } batch)
        {
            batches.Add(batch);
            await received.FillAsync();
        }

        Assert.Null(IntegrationValidator.Compare(expected, new IntegrationFile(reader.Schema, batches)));
        Assert.True(source.Reads > batches.Count, "the source was read a piece at a time");
    }

    [Fact]
    public async Task A_stream_cut_short_is_the_reader_s_format_error_not_a_wait()
    {
        string name = (string)GoldenFiles.Cases().First()[0];
        byte[] stream = File.ReadAllBytes(GoldenFiles.PathOf(name, ".stream"));
        var messages = IpcMessageDecoder.EnumerateMessages(stream).ToList();
        var batch = messages.First(m => m.Kind == MessageKind.RecordBatch && m.Body.Length > 0);

        // Cut in the middle of a record batch's body.
        using var source = new TrickleStream(stream[..(batch.BodyOffset + (batch.Body.Length / 2))]);
        using var received = new ReceivedIpcStream(source);
        await received.FillAsync();
        using var reader = new ArrowStreamReader(received, leaveOpen: true);
        var error = await Assert.ThrowsAsync<ArrowFormatException>(async () =>
        {
            while (reader.ReadNext() is not null)
            {
                await received.FillAsync();
            }
        });
        Assert.Contains("stream ended", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_what_was_not_received_is_a_caller_s_mistake_said_at_once()
    {
        using var source = new TrickleStream(new byte[64]);
        using var received = new ReceivedIpcStream(source);
        Assert.Throws<InvalidOperationException>(() => received.ReadByte());
        Assert.Equal(0, source.Reads);
    }

    [Fact]
    public async Task A_metadata_length_out_of_range_is_refused_before_anything_is_held()
    {
        byte[] prefix = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
        using var source = new TrickleStream(prefix);
        using var received = new ReceivedIpcStream(source);
        await Assert.ThrowsAsync<ArrowFormatException>(() => received.FillAsync().AsTask());
    }

    /// <summary>A source that gives a few bytes per asynchronous read and refuses synchronous ones.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _at;

        public int Reads { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Reads++;
            int n = Math.Min(Math.Min(buffer.Length, 1 + (_at % 7)), data.Length - _at);
            data.AsSpan(_at, n).CopyTo(buffer.Span);
            _at += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("a synchronous read of the source");

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _at;
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
