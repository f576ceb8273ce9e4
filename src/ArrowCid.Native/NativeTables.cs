using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.Repository;

namespace ArrowCid.Native;

/// <summary>Tables without storage: the CID of a stream's rows, and a stream of one array.</summary>
internal static unsafe class NativeTables
{
    [UnmanagedCallersOnly(EntryPoint = "arrowcid_cid_of")]
    public static int CidOf(CArrowArrayStream* input, byte* cid, nuint capacity) => NativeErrors.Run(() =>
    {
        using var stream = CallerStream.Open(input);
        NativeText.Write(CidOf(stream).ToString(), cid, capacity, "cid");
        return NativeResult.Ok;
    });

    /// <summary>The table CID of a caller's stream: what <c>arrowcid cid</c> prints for the same rows.</summary>
    public static Content.Multiformats.Cid CidOf(CallerStream stream) =>
        ContentRepository.ComputeCids(stream.Schema, stream.Batches()).Table.Cid;

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_stream_of_array")]
    public static int StreamOfArray(CArrowSchema* schema, CArrowArray* array, CArrowArrayStream* output) => NativeErrors.Run(() =>
    {
        NativeStreams.Clear(output);
        if (schema == null || array == null)
        {
            // Whichever was given is still moved: the caller never releases it after this call.
            NativeStreams.Release(schema, array);
            throw new NativeCallException(NativeResult.InvalidArgument, schema == null ? "the schema is NULL" : "the array is NULL");
        }

        if (schema->Release == null || array->Release == null)
        {
            NativeStreams.Release(schema, array);
            throw new NativeCallException(NativeResult.InvalidArgument, "the schema or the array is already released");
        }

        RecordBatch batch;
        try
        {
            batch = CArrowArrayImporter.ImportRecordBatch(array, schema);
        }
        catch (Exception e) when (e is IOException or Arrow.ArrowFormatException or ArgumentException)
        {
            NativeStreams.Release(schema, array);
            throw new NativeCallException(NativeResult.Stream, $"input array: {e.Message}", e);
        }

        CArrowArrayStreamExporter.ExportOne(batch, output);
        return NativeResult.Ok;
    });
}

/// <summary>Streams handed out: <c>*out</c> is released until a stream is written into it.</summary>
internal static unsafe class NativeStreams
{
    /// <summary>Marks the caller's output struct released (so a failure leaves nothing to release).</summary>
    /// <exception cref="NativeCallException">The pointer is NULL.</exception>
    public static void Clear(CArrowArrayStream* output)
    {
        if (output == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the output stream is NULL");
        }

        *output = default;
    }

    /// <summary>Exports batches (each disposed when the consumer releases its array, the rest when the stream is released).</summary>
    public static void Export(Arrow.Types.Schema schema, IEnumerable<RecordBatch> batches, CArrowArrayStream* output) =>
        CArrowArrayStreamExporter.Export(schema, batches, output, disposeBatches: true);

    /// <summary>Releases whichever of a caller's schema and array are still live.</summary>
    public static void Release(CArrowSchema* schema, CArrowArray* array)
    {
        if (schema != null && schema->Release != null)
        {
            schema->Release(schema);
        }

        if (array != null && array->Release != null)
        {
            array->Release(array);
        }
    }
}
