using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Native;

/// <summary>
/// A stream a C caller hands in, moved into the library at once (the caller's struct is marked
/// released, whatever happens next). Its failures — get_schema or get_next returning an error, an
/// array that does not match the schema — become ARROWCID_E_STREAM, so the caller can tell them
/// from failures of the library's own.
/// </summary>
internal sealed unsafe class CallerStream : IDisposable
{
    private readonly CArrowArrayStreamReader _reader;

    private CallerStream(CArrowArrayStreamReader reader) => _reader = reader;

    /// <summary>The stream's schema.</summary>
    public Schema Schema => _reader.Schema;

    /// <summary>Moves the caller's stream in and reads its schema.</summary>
    /// <exception cref="NativeCallException">NULL, already released, or its get_schema failed.</exception>
    public static CallerStream Open(CArrowArrayStream* stream)
    {
        if (stream == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the input stream is NULL");
        }

        if (stream->Release == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the input stream is already released");
        }

        try
        {
            return new CallerStream(CArrowArrayStreamImporter.Import(stream));
        }
        catch (Exception e) when (e is IOException or ArrowFormatException or ArgumentException)
        {
            // The importer has moved the stream and released it already.
            throw new NativeCallException(NativeResult.Stream, $"input stream: {e.Message}", e);
        }
    }

    /// <summary>
    /// The stream's batches, each disposed when the next is asked for (a consumer that keeps
    /// working on one holds its own reference, as for any reader); the producer's failures are
    /// ARROWCID_E_STREAM.
    /// </summary>
    public IEnumerable<RecordBatch> Batches() =>
        RecordBatch.DisposingEach(_reader.Read(e => new NativeCallException(NativeResult.Stream, $"input stream: {e.Message}", e)));

    /// <summary>Releases the caller's stream through its release callback.</summary>
    public void Dispose() => _reader.Dispose();
}
