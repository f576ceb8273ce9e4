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
        : this(schema, length, Checked(schema, length, columns), lease)
    {
    }

    /// <summary>
    /// Creates a batch over memory owned by <paramref name="owner"/>: the batch takes its own
    /// reference (released by <see cref="Dispose"/>), and exporters can take further ones through
    /// <see cref="Owner"/> so the memory outlives the batch while they use it.
    /// </summary>
    public RecordBatch(Schema schema, int length, IEnumerable<ArrayData> columns, SharedLease owner)
        // The columns are checked before the reference is taken, so a refused batch holds none.
        : this(schema, length, Checked(schema, length, columns), (owner ?? throw new ArgumentNullException(nameof(owner))).Acquire())
    {
        Owner = owner;
    }

    private RecordBatch(Schema schema, int length, ImmutableArray<ArrayData> checkedColumns, IDisposable? lease, SharedLease? owner = null)
    {
        Schema = schema;
        Length = length;
        Columns = checkedColumns;
        _lease = lease;
        Owner = owner;
    }

    /// <summary>
    /// Creates a batch over memory that something else keeps alive (a slice, a view): it holds no
    /// reference of its own, so it is valid while the batch it was made from is, and disposing it
    /// does nothing. <paramref name="owner"/>, that batch's <see cref="Owner"/>, lets a consumer
    /// that keeps the rows longer (an export, a pipelined put) take its own reference.
    /// </summary>
    public static RecordBatch Borrowing(Schema schema, int length, IEnumerable<ArrayData> columns, SharedLease? owner) =>
        new(schema, length, Checked(schema, length, columns), lease: null, owner);

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

    /// <summary>A zero-copy slice of rows [offset, offset+length), <see cref="Borrowing"/> this batch's memory: valid while this batch is (do not dispose it separately).</summary>
    public RecordBatch Slice(int offset, int length) =>
        Borrowing(Schema, length, Columns.Select(c => c.Slice(offset, length)), Owner);

    private static ImmutableArray<ArrayData> Checked(Schema schema, int length, IEnumerable<ArrayData> columns)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(columns);
        ImmutableArray<ArrayData> all = [.. columns];
        if (all.Length != schema.Fields.Length)
        {
            throw new ArgumentException($"a batch of {schema.Fields.Length} fields needs {schema.Fields.Length} columns, got {all.Length}", nameof(columns));
        }

        for (int i = 0; i < all.Length; i++)
        {
            if (all[i].Length != length)
            {
                throw new ArgumentException($"column {i} ('{schema.Fields[i].Name}') has {all[i].Length} rows, the batch {length}", nameof(columns));
            }
        }

        return all;
    }

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
