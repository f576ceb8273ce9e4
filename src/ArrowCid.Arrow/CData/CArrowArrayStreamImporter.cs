using System.Collections;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.CData;

/// <summary>Imports <c>struct ArrowArrayStream</c> as a single-pass sequence of record batches.</summary>
public static unsafe class CArrowArrayStreamImporter
{
    /// <summary>As <see cref="Import(CArrowArrayStream*)"/>, for the structure at address <paramref name="stream"/> (for callers without unsafe code).</summary>
    public static CArrowArrayStreamReader Import(nint stream) => Import((CArrowArrayStream*)stream);

    /// <summary>
    /// Moves <paramref name="stream"/> into a reader (the caller's structure is marked released) and
    /// reads its schema. Dispose the reader to release the stream; batches already read stay valid
    /// until they are disposed themselves.
    /// </summary>
    public static CArrowArrayStreamReader Import(CArrowArrayStream* stream)
    {
        if (stream == null)
        {
            throw new ArgumentNullException(nameof(stream));
        }

        if (stream->Release == null)
        {
            throw new ArrowFormatException("the ArrowArrayStream has already been released");
        }

        var moved = (CArrowArrayStream*)NativeMemory.Alloc((nuint)sizeof(CArrowArrayStream));
        *moved = *stream;
        stream->Release = null;
        var reader = new CArrowArrayStreamReader(moved);
        try
        {
            reader.ReadSchema();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }
}

/// <summary>The batches of an imported C stream, read on demand (one pass).</summary>
public sealed unsafe class CArrowArrayStreamReader : IEnumerable<RecordBatch>, IDisposable
{
    private nint _stream;
    private bool _enumerated;

    internal CArrowArrayStreamReader(CArrowArrayStream* moved) => _stream = (nint)moved;

    /// <summary>The stream's schema.</summary>
    public Schema Schema { get; private set; } = new([]);

    internal void ReadSchema()
    {
        var stream = Live();
        if (stream->GetSchema == null || stream->GetNext == null)
        {
            throw new ArrowFormatException("the ArrowArrayStream has no get_schema or get_next callback");
        }

        var schema = CArrowSchema.Allocate();
        try
        {
            int rc = stream->GetSchema(stream, schema);
            if (rc != 0)
            {
                throw Failure("get_schema", rc);
            }

            Schema = CArrowSchemaImporter.ImportSchema(schema);
        }
        finally
        {
            CArrowSchema.Free(schema);
        }
    }

    /// <summary>The next batch, or null at the end of the stream; dispose each batch when done with it.</summary>
    public RecordBatch? ReadNext()
    {
        var stream = Live();
        var array = CArrowArray.Allocate();
        try
        {
            int rc = stream->GetNext(stream, array);
            if (rc != 0)
            {
                throw Failure("get_next", rc);
            }

            return array->Release == null ? null : CArrowArrayImporter.ImportRecordBatch(array, Schema);
        }
        finally
        {
            CArrowArray.Free(array);
        }
    }

    /// <summary>Reads the remaining batches; the stream can be enumerated once.</summary>
    public IEnumerator<RecordBatch> GetEnumerator()
    {
        if (_enumerated)
        {
            throw new InvalidOperationException("a C stream can be read only once");
        }

        _enumerated = true;
        return Enumerate();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Reads the remaining batches, as the enumerator does (once), with what the producer fails
    /// with — its get_next, or an array that does not match the schema — thrown as
    /// <paramref name="failure"/> makes it: a caller's own error for a foreign stream.
    /// </summary>
    public IEnumerable<RecordBatch> Read(Func<Exception, Exception> failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        using var batches = GetEnumerator();
        while (true)
        {
            try
            {
                if (!batches.MoveNext())
                {
                    yield break;
                }
            }
            catch (Exception e) when (e is IOException or ArrowFormatException or ArgumentException)
            {
                throw failure(e);
            }

            yield return batches.Current;
        }
    }

    private IEnumerator<RecordBatch> Enumerate()
    {
        while (ReadNext() is { } batch)
        {
            yield return batch;
        }
    }

    /// <summary>Releases the stream (through its release callback) and frees the moved structure.</summary>
    public void Dispose()
    {
        CArrowArrayStream.Free((CArrowArrayStream*)Interlocked.Exchange(ref _stream, 0));
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases a stream that was never disposed.</summary>
    ~CArrowArrayStreamReader() => CArrowArrayStream.Free((CArrowArrayStream*)Interlocked.Exchange(ref _stream, 0));

    private CArrowArrayStream* Live()
    {
        var stream = (CArrowArrayStream*)_stream;
        ObjectDisposedException.ThrowIf(stream == null, this);
        return stream;
    }

    private IOException Failure(string call, int rc)
    {
        var stream = Live();
        string? message = stream->GetLastError == null ? null : NativeText.Utf8(stream->GetLastError(stream), "stream error message");
        return new IOException($"ArrowArrayStream.{call} failed with errno {rc}: {message ?? "(no message)"}");
    }
}
