using System.Runtime.InteropServices;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Types;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Native.Tests;

/// <summary>
/// The C entry points called in-process through function pointers, as C calls them: every error
/// path gives its code and this thread's message, and nothing a caller passes in crashes the
/// library. (libarrowcid.so itself, from C, C++, Python and Rust: the Peers tests.)
/// </summary>
public sealed unsafe class EntryPointTests : IDisposable
{
    private static readonly Schema Schema = new([new Field("v", ArrowType.Int64, nullable: false)]);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static RecordBatch Batch(long first, int rows)
    {
        var bytes = new byte[rows * sizeof(long)];
        var values = MemoryMarshal.Cast<byte, long>(bytes.AsSpan());
        for (int i = 0; i < rows; i++)
        {
            values[i] = first + i;
        }

        return new RecordBatch(Schema, rows, [new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, bytes])]);
    }

    // A C stream, as a C producer would hand it in (the struct in native memory, the caller's to free).
    private static CArrowArrayStream* StreamOf(IEnumerable<RecordBatch> batches)
    {
        var stream = (CArrowArrayStream*)NativeMemory.AllocZeroed((nuint)sizeof(CArrowArrayStream));
        CArrowArrayStreamExporter.Export(Schema, batches, stream);
        return stream;
    }

    private static string LastError => Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)&NativeExports.ArrowCidLastError)())!;

    private static int CidOf(CArrowArrayStream* stream, byte[] cid)
    {
        fixed (byte* buffer = cid)
        {
            return ((delegate* unmanaged<CArrowArrayStream*, byte*, nuint, int>)&NativeTables.CidOf)(stream, buffer, (nuint)cid.Length);
        }
    }

    private static string Text(byte[] buffer) => Encoding.UTF8.GetString(buffer, 0, Array.IndexOf(buffer, (byte)0));

    private nint OpenRepository()
    {
        nint handle = 0;
        fixed (byte* path = Encoding.UTF8.GetBytes(Path.Combine(_temp.Path, "repo") + "\0"))
        {
            Assert.Equal(NativeResult.Ok, ((delegate* unmanaged<byte*, nint*, int>)&NativeRepository.Open)(path, &handle));
        }

        return handle;
    }

    [Fact]
    public void The_version_is_the_library_s()
    {
        string version = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)&NativeExports.ArrowCidVersion)())!;
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
    }

    [Fact]
    public void The_cid_of_a_stream_is_the_cid_a_put_of_its_rows_gives_and_the_stream_is_moved()
    {
        var stream = StreamOf([Batch(0, 1000), Batch(1000, 500)]);
        var cid = new byte[128];
        Assert.Equal(NativeResult.Ok, CidOf(stream, cid));
        Assert.True(stream->Release == null);
        NativeMemory.Free(stream);
        Assert.Equal(ContentRepository.ComputeCids(Schema, [Batch(0, 1500)]).Table.Cid.ToString(), Text(cid));
    }

    [Fact]
    public void A_cid_of_many_batches_keeps_producer_arrays_while_it_reads_on_and_releases_each_once()
    {
        // Each array the producer hands over stays valid until the library releases it; a library
        // that overlaps the next get_next with the work on the last one must hold it that long.
        var producer = new TrackedProducer();
        var stream = (CArrowArrayStream*)NativeMemory.AllocZeroed((nuint)sizeof(CArrowArrayStream));
        CArrowArrayStreamExporter.Export(Schema, producer.Batches(8, 100_000), stream, disposeBatches: true);
        var cid = new byte[128];
        Assert.Equal(NativeResult.Ok, CidOf(stream, cid));
        NativeMemory.Free(stream);

        Assert.Equal(8, producer.Released);
        Assert.Equal(0, producer.Outstanding);
        Assert.Equal(ContentRepository.ComputeCids(Schema, [Batch(0, 800_000)]).Table.Cid.ToString(), Text(cid));
        if (Environment.ProcessorCount >= 2)
        {
            // Pipelined, one batch per core prepared ahead: the two batches before are still held
            // when the next is asked for (finished one by one, only the last would be).
            Assert.True(producer.MostOutstandingAtNext >= 2, $"at most {producer.MostOutstandingAtNext} arrays held when the next was asked for");
        }
    }

    [Fact]
    public void Null_pointers_are_invalid_arguments_with_a_message()
    {
        Assert.Equal(NativeResult.InvalidArgument, CidOf(null, new byte[128]));
        Assert.Contains("NULL", LastError, StringComparison.Ordinal);

        var stream = StreamOf([Batch(0, 3)]);
        Assert.Equal(NativeResult.InvalidArgument, ((delegate* unmanaged<CArrowArrayStream*, byte*, nuint, int>)&NativeTables.CidOf)(stream, null, 128));
        Assert.True(stream->Release == null); // moved (and released) even so
        NativeMemory.Free(stream);

        Assert.Equal(NativeResult.InvalidArgument, ((delegate* unmanaged<byte*, nint*, int>)&NativeRepository.Open)(null, null));
        nint repository = OpenRepository();
        try
        {
            Assert.Equal(NativeResult.InvalidArgument, ((delegate* unmanaged<nint, byte*, CArrowArrayStream*, int>)&NativeRepository.Get)(repository, null, null));
            Assert.Equal(NativeResult.InvalidArgument, ((delegate* unmanaged<nint, byte**, int>)&NativeRepository.Names)(repository, null));
        }
        finally
        {
            ((delegate* unmanaged<nint, void>)&NativeRepository.Close)(repository);
        }
    }

    [Fact]
    public void A_too_small_buffer_is_refused_and_left_empty()
    {
        var stream = StreamOf([Batch(0, 3)]);
        var cid = Enumerable.Repeat((byte)'x', 8).ToArray();
        Assert.Equal(NativeResult.BufferTooSmall, CidOf(stream, cid));
        Assert.Equal(0, cid[0]);
        Assert.Contains("needs 60 bytes", LastError, StringComparison.Ordinal);
        NativeMemory.Free(stream);
    }

    [Fact]
    public void A_failing_get_next_is_a_stream_error_naming_the_producer_s_message()
    {
        static IEnumerable<RecordBatch> FailOnSecond()
        {
            yield return Batch(0, 3);
            throw new IOException("the producer's disk went away");
        }

        var stream = StreamOf(FailOnSecond());
        Assert.Equal(NativeResult.Stream, CidOf(stream, new byte[128]));
        Assert.Contains("the producer's disk went away", LastError, StringComparison.Ordinal);
        Assert.True(stream->Release == null);
        NativeMemory.Free(stream);
    }

    [Fact]
    public void A_closed_or_made_up_handle_is_closed_never_followed()
    {
        nint repository = OpenRepository();
        ((delegate* unmanaged<nint, void>)&NativeRepository.Close)(repository);
        ((delegate* unmanaged<nint, void>)&NativeRepository.Close)(repository); // twice: ignored
        byte* json = null;
        foreach (nint handle in new[] { repository, (nint)0x1234_5678, (nint)(-1) })
        {
            Assert.Equal(NativeResult.Closed, ((delegate* unmanaged<nint, byte**, int>)&NativeRepository.Names)(handle, &json));
            Assert.Contains("closed", LastError, StringComparison.Ordinal);
        }

        // A repository handle is not a shared-memory handle.
        nint other = OpenRepository();
        ulong cursor = 0;
        Assert.Equal(NativeResult.Closed, ((delegate* unmanaged<nint, ulong*, int>)&NativeSharedMemory.Cursor)(other, &cursor));
        ((delegate* unmanaged<nint, void>)&NativeRepository.Close)(other);
    }

    [Fact]
    public void Unknown_content_is_not_found_and_damaged_content_is_corrupt()
    {
        nint repository = OpenRepository();
        try
        {
            var output = (CArrowArrayStream*)NativeMemory.AllocZeroed((nuint)sizeof(CArrowArrayStream));
            string unknown = ContentRepository.ComputeCids(Schema, [Batch(7, 7)]).Table.Cid.ToString();
            Assert.Equal(NativeResult.NotFound, Get(repository, unknown, output));
            Assert.True(output->Release == null);

            // One chunk of 160 KB: a file of its own, damaged in the middle.
            var cid = new byte[128];
            fixed (byte* buffer = cid)
            {
                var input = StreamOf([Batch(0, 20_000)]);
                Assert.Equal(NativeResult.Ok, ((delegate* unmanaged<nint, CArrowArrayStream*, byte*, byte*, nuint, int>)&NativeRepository.Put)(repository, input, null, buffer, 128));
                NativeMemory.Free(input);
            }

            string file = Directory.EnumerateFiles(Path.Combine(_temp.Path, "repo", "blocks"), "*", SearchOption.AllDirectories).Single(f => new FileInfo(f).Length > 100_000);
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
            {
                stream.Position = 80_000;
                int b = stream.ReadByte();
                stream.Position = 80_000;
                stream.WriteByte((byte)(b ^ 0xFF));
            }

            Assert.Equal(NativeResult.Corrupt, Get(repository, Text(cid), output));
            Assert.Contains("does not hash", LastError, StringComparison.Ordinal);
            NativeMemory.Free(output);
        }
        finally
        {
            ((delegate* unmanaged<nint, void>)&NativeRepository.Close)(repository);
        }
    }

    [Fact]
    public void A_stream_of_one_array_released_unread_releases_the_producer_s_array()
    {
        var schema = CArrowSchema.Allocate();
        var array = CArrowArray.Allocate();
        var producerMemory = new ReleaseFlag();
        CArrowSchemaExporter.Export(Schema, schema);
        CArrowArrayExporter.Export(Batch(0, 10), array, producerMemory);
        var stream = (CArrowArrayStream*)NativeMemory.AllocZeroed((nuint)sizeof(CArrowArrayStream));
        Assert.Equal(NativeResult.Ok, ((delegate* unmanaged<CArrowSchema*, CArrowArray*, CArrowArrayStream*, int>)&NativeTables.StreamOfArray)(schema, array, stream));
        Assert.True(schema->Release == null && array->Release == null); // moved into the stream
        Assert.False(producerMemory.Released);

        stream->Release(stream); // never read
        Assert.True(producerMemory.Released);
        NativeMemory.Free(stream);
        CArrowSchema.Free(schema);
        CArrowArray.Free(array);
    }

    private sealed class ReleaseFlag : IDisposable
    {
        public bool Released { get; private set; }

        public void Dispose() => Released = true;
    }

    [Fact]
    public void The_last_error_belongs_to_the_thread_that_failed()
    {
        Assert.Equal(NativeResult.InvalidArgument, CidOf(null, new byte[128]));
        string other = "";
        var thread = new Thread(() => other = LastError);
        thread.Start();
        thread.Join();
        Assert.Equal("", other);
        Assert.NotEqual("", LastError);
    }

    [Fact]
    public void Put_then_get_hands_out_the_rows_through_the_stream_interface()
    {
        nint repository = OpenRepository();
        try
        {
            var cid = new byte[128];
            fixed (byte* buffer = cid)
            fixed (byte* name = "series\0"u8)
            {
                var input = StreamOf([Batch(0, 100_000), Batch(100_000, 100_000)]);
                Assert.Equal(NativeResult.Ok, ((delegate* unmanaged<nint, CArrowArrayStream*, byte*, byte*, nuint, int>)&NativeRepository.Put)(repository, input, name, buffer, 128));
                NativeMemory.Free(input);
            }

            var output = (CArrowArrayStream*)NativeMemory.AllocZeroed((nuint)sizeof(CArrowArrayStream));
            Assert.Equal(NativeResult.Ok, Get(repository, "series@1", output));
            long sum = 0, rows = 0;
            using (var reader = CArrowArrayStreamImporter.Import(output))
            {
                foreach (var batch in reader)
                {
                    using (batch)
                    {
                        var values = MemoryMarshal.Cast<byte, long>(batch.Column(0).Buffers[1].Span).Slice(batch.Column(0).Offset, batch.Length);
                        foreach (long v in values)
                        {
                            sum += v;
                        }

                        rows += batch.Length;
                    }
                }
            }

            NativeMemory.Free(output);
            Assert.Equal(200_000, rows);
            Assert.Equal(199_999L * 200_000 / 2, sum);
        }
        finally
        {
            ((delegate* unmanaged<nint, void>)&NativeRepository.Close)(repository);
        }
    }

    /// <summary>A producer's batches, each counting its release (the consumer's release callback disposes it).</summary>
    private sealed class TrackedProducer
    {
        private int _produced;
        private int _released;

        public int Released => Volatile.Read(ref _released);

        public int Outstanding => Volatile.Read(ref _produced) - Released;

        public int MostOutstandingAtNext { get; private set; }

        public IEnumerable<RecordBatch> Batches(int count, int rows)
        {
            for (int i = 0; i < count; i++)
            {
                MostOutstandingAtNext = Math.Max(MostOutstandingAtNext, Outstanding);
                var batch = Batch((long)i * rows, rows);
                Interlocked.Increment(ref _produced);
                yield return new RecordBatch(Schema, rows, batch.Columns, new Release(this));
            }
        }

        private sealed class Release(TrackedProducer producer) : IDisposable
        {
            private int _done;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _done, 1) == 0)
                {
                    Interlocked.Increment(ref producer._released);
                }
            }
        }
    }

    private static int Get(nint repository, string reference, CArrowArrayStream* output)
    {
        fixed (byte* text = Encoding.UTF8.GetBytes(reference + "\0"))
        {
            return ((delegate* unmanaged<nint, byte*, CArrowArrayStream*, int>)&NativeRepository.Get)(repository, text, output);
        }
    }
}
