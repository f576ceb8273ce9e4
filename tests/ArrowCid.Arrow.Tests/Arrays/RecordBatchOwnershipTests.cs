using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.Arrays;

/// <summary>Who keeps a batch's memory alive: its own lease, its shared owner, or the batch it borrows from.</summary>
public class RecordBatchOwnershipTests
{
    private static readonly Schema XSchema = new([new Field("x", ArrowType.Int32, false)]);

    private static ArrayData Ints(int rows) => new(ArrowType.Int32, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, new byte[rows * 4]]);

    [Fact]
    public void A_batch_over_a_shared_owner_holds_one_reference_until_disposed()
    {
        var memory = new CountingResource();
        var owner = new SharedLease(memory);
        var batch = new RecordBatch(XSchema, 4, [Ints(4)], owner);
        owner.Release();
        Assert.Same(owner, batch.Owner);
        Assert.True(batch.IsLeased);
        Assert.Equal(1, owner.References);

        batch.Dispose();
        Assert.Equal(1, memory.Disposals);
    }

    [Fact]
    public void A_refused_batch_takes_no_reference_on_its_owner()
    {
        var memory = new CountingResource();
        var owner = new SharedLease(memory);
        Assert.Throws<ArgumentException>(() => new RecordBatch(XSchema, 5, [Ints(4)], owner));
        Assert.Throws<ArgumentException>(() => new RecordBatch(XSchema, 4, [Ints(4), Ints(4)], owner));
        Assert.Equal(1, owner.References);
        owner.Release();
        Assert.Equal(1, memory.Disposals);
    }

    [Fact]
    public void Slices_and_borrowing_batches_carry_the_owner_and_hold_no_reference()
    {
        var memory = new CountingResource();
        var owner = new SharedLease(memory);
        var batch = new RecordBatch(XSchema, 4, [Ints(4)], owner);
        owner.Release();

        var slice = batch.Slice(1, 2);
        var borrowing = RecordBatch.Borrowing(XSchema, 4, batch.Columns, batch.Owner);
        Assert.Same(owner, slice.Owner);
        Assert.Same(owner, borrowing.Owner);
        Assert.False(slice.IsLeased);
        Assert.False(borrowing.IsLeased);
        Assert.Equal(1, owner.References);

        // A consumer that keeps the slice past the batch takes its own reference through the owner.
        var kept = slice.Owner!.Acquire();
        slice.Dispose();
        borrowing.Dispose();
        batch.Dispose();
        Assert.Equal(0, memory.Disposals);
        kept.Dispose();
        Assert.Equal(1, memory.Disposals);
    }

    [Fact]
    public void A_batch_without_an_owner_slices_to_batches_without_one()
    {
        var batch = new RecordBatch(XSchema, 4, [Ints(4)], new CountingResource());
        Assert.Null(batch.Slice(0, 2).Owner);
        Assert.Null(RecordBatch.Borrowing(XSchema, 4, batch.Columns, null).Owner);
        Assert.Throws<ArgumentException>(() => RecordBatch.Borrowing(XSchema, 3, batch.Columns, null));
    }

    private sealed class CountingResource : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }
}
