using ArrowCid.Node;
using ArrowCid.Repository;
using Microsoft.Data.Sqlite;

namespace ArrowCid.Node.Tests;

/// <summary>A full disk, however a layer reports it, is one kind of node error, told to clients without the node's paths.</summary>
public sealed class StorageFaultTests
{
    public static TheoryData<Exception> FullStorage() =>
    [
        new IOException("No space left on device : '/srv/repo/blocks/.staging/x.tmp'", 28),
        new IOException("Disk quota exceeded : '/srv/repo/registry.db'", 122),
        new SqliteException("SQLite Error 13: 'database or disk is full'.", 13),
        new InvalidOperationException("applying failed", new IOException("No space left on device : '/srv/x'", 28)),
    ];

    [Theory]
    [MemberData(nameof(FullStorage))]
    public void A_full_disk_is_StorageFull_and_its_message_names_no_path(Exception error)
    {
        Assert.Equal(NodeErrorKind.StorageFull, NodeException.KindOf(error));
        string message = NodeException.MessageOf(error, NodeErrorKind.StorageFull);
        Assert.DoesNotContain("/srv", message, StringComparison.Ordinal);
        Assert.Equal(StorageFaults.FullMessage, message);
    }

    [Fact]
    public void Other_IO_failures_and_a_damaged_registry_are_not_a_full_disk()
    {
        Assert.Null(NodeException.KindOf(new IOException("Input/output error", 5)));
        var damaged = new SqliteException("SQLite Error 11: 'database disk image is malformed'.", 11);
        Assert.False(StorageFaults.IsFull(damaged));
        Assert.True(StorageFaults.IsRegistryDamaged(damaged));
        Assert.True(StorageFaults.IsRegistryDamaged(new SqliteException("SQLite Error 26: 'file is not a database'.", 26)));
    }
}
