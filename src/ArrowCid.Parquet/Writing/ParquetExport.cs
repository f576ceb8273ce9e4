using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.IO;
using ArrowCid.Arrow.Types;
using ArrowSchema = ArrowCid.Arrow.Types.Schema;

namespace ArrowCid.Parquet.Writing;

/// <summary>Writes Parquet files atomically: a reader of the path sees the old file or the complete new one.</summary>
public static class ParquetExport
{
    /// <summary>
    /// Writes <paramref name="batches"/> to <paramref name="path"/> through a temporary file in the
    /// same folder that is fsynced, renamed over the path and made durable by an fsync of the
    /// folder. If anything fails (including an exception from the batch enumeration) the temporary
    /// file is deleted and no file appears at <paramref name="path"/>.
    /// </summary>
    public static void WriteFile(string path, ArrowSchema schema, IEnumerable<RecordBatch> batches, ParquetWriteOptions? options = null) =>
        WriteFile(path, schema, batches, options, disposeBatches: false);

    /// <summary>
    /// As <see cref="WriteFile(string, ArrowSchema, IEnumerable{RecordBatch}, ParquetWriteOptions?)"/>;
    /// with <paramref name="disposeBatches"/> each batch is handed to <see cref="ParquetWriter.WriteOwned"/>
    /// and disposed once its rows are written, so a stream of zero-copy batches (each holding a
    /// mapping) keeps at most one row group's worth open.
    /// </summary>
    public static void WriteFile(string path, ArrowSchema schema, IEnumerable<RecordBatch> batches, ParquetWriteOptions? options, bool disposeBatches)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        DurableFile.WriteAtomically(path, file =>
        {
            using var writer = new ParquetWriter(file, schema, options, leaveOpen: true);
            foreach (RecordBatch batch in batches)
            {
                if (disposeBatches)
                {
                    writer.WriteOwned(batch);
                }
                else
                {
                    writer.Write(batch);
                }
            }

            writer.Close();
        });
    }
}
