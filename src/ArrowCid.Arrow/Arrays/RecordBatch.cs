using System.Collections.Immutable;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Arrays;

/// <summary>
/// A schema and one array per field, all of the same length. When the arrays point into memory
/// that must stay alive (a mapping, a shared-memory segment, memory imported through the C Data
/// Interface), the batch holds a lease on it: disposing the batch releases that lease.
/// </summary>
public sealed class RecordBatch : IDisposable
{
    private IDisposable? _lease;

    /// <summary>Creates a batch; <paramref name="lease"/> (optional) is released on <see cref="Dispose"/>.</summary>
    public RecordBatch(Schema schema, int length, IEnumerable<ArrayData> columns, IDisposable? lease = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(columns);
        Schema = schema;
        Length = length;
        Columns = [.. columns];
        if (Columns.Length != schema.Fields.Length)
        {
            throw new ArgumentException($"a batch of {schema.Fields.Length} fields needs {schema.Fields.Length} columns, got {Columns.Length}", nameof(columns));
        }

        for (int i = 0; i < Columns.Length; i++)
        {
            if (Columns[i].Length != length)
            {
                throw new ArgumentException($"column {i} ('{schema.Fields[i].Name}') has {Columns[i].Length} rows, the batch {length}", nameof(columns));
            }
        }

        _lease = lease;
    }

    /// <summary>
    /// Creates a batch over memory owned by <paramref name="owner"/>: the batch takes its own
    /// reference (released by <see cref="Dispose"/>), and exporters can take further ones through
    /// <see cref="Owner"/> so the memory outlives the batch while they use it.
    /// </summary>
    public RecordBatch(Schema schema, int length, IEnumerable<ArrayData> columns, SharedLease owner)
        : this(schema, length, columns, (owner ?? throw new ArgumentNullException(nameof(owner))).Acquire())
    {
        Owner = owner;
    }

    /// <summary>The shared owner of the memory the arrays point into, when there is one.</summary>
    public SharedLease? Owner { get; }

    /// <summary>
    /// Whether the batch holds a lease on the memory its arrays point into (until disposed): such a
    /// batch's memory may go when it is disposed, unless a reference is taken through <see cref="Owner"/>.
    /// </summary>
    public bool IsLeased => Volatile.Read(ref _lease) is not null;

    /// <summary>The schema.</summary>
    public Schema Schema { get; }

    /// <summary>Number of rows.</summary>
    public int Length { get; }

    /// <summary>One array per field.</summary>
    public ImmutableArray<ArrayData> Columns { get; }

    /// <summary>The column at position <paramref name="index"/>.</summary>
    public ArrayData Column(int index) => Columns[index];

    /// <summary>A zero-copy slice of rows [offset, offset+length); it shares this batch's lease (do not dispose it separately).</summary>
    public RecordBatch Slice(int offset, int length) =>
        new(Schema, length, Columns.Select(c => c.Slice(offset, length)));

    /// <summary>Releases the lease on the memory the arrays point into, if any.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _lease, null)?.Dispose();
    }

    /// <summary>
    /// The batches of <paramref name="batches"/>, each disposed once the next is asked for and the
    /// last when the enumeration ends: a source handing over batches it owns, as a reader of a file
    /// does, to a consumer that takes its own reference to any batch it keeps.
    /// </summary>
    public static IEnumerable<RecordBatch> DisposingEach(IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return Walk();

        IEnumerable<RecordBatch> Walk()
        {
            RecordBatch? previous = null;
            try
            {
                foreach (var batch in batches)
                {
                    previous?.Dispose();
                    previous = batch;
                    yield return batch;
                }
            }
            finally
            {
                previous?.Dispose();
            }
        }
    }
}
