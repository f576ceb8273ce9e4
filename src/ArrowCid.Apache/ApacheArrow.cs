using ArrowCid.Arrow;
using ApacheBatch = Apache.Arrow.RecordBatch;
using ApacheC = Apache.Arrow.C;
using ApacheSchema = Apache.Arrow.Schema;
using ApacheStream = Apache.Arrow.Ipc.IArrowArrayStream;
using OurBatch = ArrowCid.Arrow.Arrays.RecordBatch;
using OurC = ArrowCid.Arrow.CData;
using OurSchema = ArrowCid.Arrow.Types.Schema;

namespace ArrowCid.Apache;

/// <summary>
/// Schemas, batches and streams between Apache.Arrow and ArrowCid, through the Arrow C Data
/// Interface, the one thing the two type systems share: one side exports into a C structure, the
/// other imports it. Buffers are never copied: a batch taken from the other side points at the same
/// memory, which stays valid (the exporter's reference held) until the batch taken is disposed,
/// whatever happens to the original. A schema, type or batch one side cannot represent is an
/// <see cref="ApacheArrowException"/> naming it.
/// </summary>
public static unsafe class ApacheArrow
{
    /// <summary>An Apache.Arrow schema as ArrowCid's.</summary>
    /// <exception cref="ApacheArrowException">A type ArrowCid cannot represent, or Apache.Arrow cannot export.</exception>
    public static OurSchema ToArrowCid(ApacheSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var c = OurC.CArrowSchema.Allocate();
        try
        {
            Crossing("the schema", "Apache.Arrow → ArrowCid", () => ApacheC.CArrowSchemaExporter.ExportSchema(schema, (ApacheC.CArrowSchema*)c));
            return Crossing("the schema", "Apache.Arrow → ArrowCid", () => OurC.CArrowSchemaImporter.ImportSchema(c));
        }
        finally
        {
            OurC.CArrowSchema.Free(c);
        }
    }

    /// <summary>ArrowCid's schema as an Apache.Arrow one.</summary>
    /// <exception cref="ApacheArrowException">A type Apache.Arrow cannot represent.</exception>
    public static ApacheSchema ToApache(OurSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var c = OurC.CArrowSchema.Allocate();
        try
        {
            Crossing("the schema", "ArrowCid → Apache.Arrow", () => OurC.CArrowSchemaExporter.Export(schema, c));
            return Crossing("the schema", "ArrowCid → Apache.Arrow", () => ApacheC.CArrowSchemaImporter.ImportSchema((ApacheC.CArrowSchema*)c));
        }
        finally
        {
            OurC.CArrowSchema.Free(c);
        }
    }

    /// <summary>
    /// An Apache.Arrow batch as ArrowCid's, zero copy: its buffers are the Apache batch's, kept
    /// alive by the export until the returned batch is disposed (dispose the Apache batch when you
    /// like). ArrowCid validates the imported arrays as it validates any foreign input.
    /// </summary>
    /// <exception cref="ApacheArrowException">A type ArrowCid cannot represent, a batch Apache.Arrow cannot export (say, already disposed), or arrays that fail validation.</exception>
    public static OurBatch ToArrowCid(ApacheBatch batch) => ToArrowCid(batch, ToArrowCid(batch?.Schema!));

    /// <summary>As <see cref="ToArrowCid(ApacheBatch)"/>, with the schema already converted (one conversion for a stream of batches).</summary>
    public static OurBatch ToArrowCid(ApacheBatch batch, OurSchema schema)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(schema);
        EnsureLive(batch);
        var c = OurC.CArrowArray.Allocate();
        try
        {
            try
            {
                Crossing("a batch", "Apache.Arrow → ArrowCid", () => ApacheC.CArrowArrayExporter.ExportRecordBatch(batch, (ApacheC.CArrowArray*)c));
            }
            catch
            {
                // A half-made export is not released: its callback would follow what failed.
                *c = default;
                throw;
            }

            return Crossing("a batch", "Apache.Arrow → ArrowCid", () => OurC.CArrowArrayImporter.ImportRecordBatch(c, schema));
        }
        finally
        {
            OurC.CArrowArray.Free(c);
        }
    }

    // Apache.Arrow exports a disposed batch's freed buffers, and its release callback then touches
    // freed memory: a disposed batch is refused before anything is exported. (Its buffers answer
    // their length only while live.)
    private static void EnsureLive(ApacheBatch batch)
    {
        try
        {
            for (int i = 0; i < batch.ColumnCount; i++)
            {
                Touch(batch.Column(i).Data, 0);
            }
        }
        catch (Exception e) when (e is NullReferenceException or ObjectDisposedException)
        {
            throw new ApacheArrowException("an Apache.Arrow batch cannot cross to ArrowCid: it was disposed", e);
        }

        static void Touch(global::Apache.Arrow.ArrayData data, int depth)
        {
            if (depth > 64)
            {
                throw new ApacheArrowException("an Apache.Arrow batch cannot cross to ArrowCid: nested deeper than 64 levels");
            }

            foreach (var buffer in data.Buffers ?? [])
            {
                _ = buffer.Length;
            }

            foreach (var child in data.Children ?? [])
            {
                Touch(child, depth + 1);
            }

            if (data.Dictionary is { } dictionary)
            {
                Touch(dictionary, depth + 1);
            }
        }
    }

    /// <summary>
    /// ArrowCid's batch as an Apache.Arrow one, zero copy: its buffers are ours (a mapped block, a
    /// shared-memory segment or lease, or managed memory), kept alive until the Apache batch is
    /// disposed, even after <paramref name="batch"/> is.
    /// </summary>
    /// <exception cref="ApacheArrowException">A type Apache.Arrow cannot represent.</exception>
    public static ApacheBatch ToApache(OurBatch batch) => ToApache(batch, ToApache(batch?.Schema!));

    /// <summary>As <see cref="ToApache(OurBatch)"/>, with the schema already converted.</summary>
    public static ApacheBatch ToApache(OurBatch batch, ApacheSchema schema)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(schema);
        var c = OurC.CArrowArray.Allocate();
        try
        {
            Crossing("a batch", "ArrowCid → Apache.Arrow", () => OurC.CArrowArrayExporter.Export(batch, c));
            return Crossing("a batch", "ArrowCid → Apache.Arrow", () => ApacheC.CArrowArrayImporter.ImportRecordBatch((ApacheC.CArrowArray*)c, schema));
        }
        finally
        {
            OurC.CArrowArray.Free(c);
        }
    }

    /// <summary>
    /// The batches of an Apache.Arrow stream as ArrowCid's, read lazily through the C Stream
    /// Interface (the stream is moved: Apache's object must not be read again). Dispose each batch.
    /// </summary>
    /// <exception cref="ApacheArrowException">The stream fails or gives arrays ArrowCid cannot take.</exception>
    public static (OurSchema Schema, IEnumerable<OurBatch> Batches) ToArrowCid(ApacheStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var c = OurC.CArrowArrayStream.Allocate();
        OurC.CArrowArrayStreamReader reader;
        try
        {
            Crossing("a stream", "Apache.Arrow → ArrowCid", () => ApacheC.CArrowArrayStreamExporter.ExportArrayStream(stream, (ApacheC.CArrowArrayStream*)c));
            reader = Crossing("a stream", "Apache.Arrow → ArrowCid", () => OurC.CArrowArrayStreamImporter.Import(c));
        }
        finally
        {
            OurC.CArrowArrayStream.Free(c);
        }

        return (reader.Schema, Read(reader));
    }

    /// <summary>ArrowCid's batches as an Apache.Arrow stream (each batch disposed when Apache's consumer is done with its array).</summary>
    /// <exception cref="ApacheArrowException">The schema has a type Apache.Arrow cannot represent.</exception>
    public static ApacheStream ToApache(OurSchema schema, IEnumerable<OurBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        var c = OurC.CArrowArrayStream.Allocate();
        try
        {
            OurC.CArrowArrayStreamExporter.Export(schema, batches, c, disposeBatches: true);
            return Crossing("a stream", "ArrowCid → Apache.Arrow", () => ApacheC.CArrowArrayStreamImporter.ImportArrayStream((ApacheC.CArrowArrayStream*)c));
        }
        finally
        {
            OurC.CArrowArrayStream.Free(c);
        }
    }

    private static IEnumerable<OurBatch> Read(OurC.CArrowArrayStreamReader reader)
    {
        using (reader)
        {
            foreach (var batch in reader.Read(e => new ApacheArrowException($"an Apache.Arrow stream failed: {e.Message}", e)))
            {
                yield return batch;
            }
        }
    }

    private static void Crossing(string what, string direction, Action action) => Crossing(what, direction, () =>
    {
        action();
        return 0;
    });

    // The two libraries' own failures (an unsupported type, a released or disposed object, a
    // malformed array: all SystemExceptions, among them the types Apache.Arrow leaves without an
    // implementation) become one typed error naming what was crossing, and which way. Running
    // out of memory is not a crossing's failure and goes on as it is.
    private static T Crossing<T>(string what, string direction, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SystemException e) when (e is not OutOfMemoryException)
        {
            throw new ApacheArrowException($"{what} cannot cross {direction}: {e.Message}", e);
        }
    }
}
