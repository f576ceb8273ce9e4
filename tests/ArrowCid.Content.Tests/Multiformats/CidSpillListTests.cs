using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Multiformats;

/// <summary>
/// <see cref="CidSpillList"/>: what one garbage collection removed, kept in order at any length
/// with a bounded part in memory. It must give back every CID added, in order, whether the disk
/// took them or not, and leave no file behind.
/// </summary>
public sealed class CidSpillListTests
{
    // Two CID lengths mixed, so records are not all one size.
    private static Cid Numbered(int n) => NumberedCids.Mixed(n);

    [Theory]
    [InlineData(10_000, 100, 333)]
    [InlineData(10_000, 100, 1)]
    [InlineData(5, 100, 2)]
    [InlineData(0, 100, 7)]
    public void Gives_back_every_cid_in_order_in_chunks_and_leaves_no_file(int count, int threshold, int chunk)
    {
        string folder = Directory.CreateTempSubdirectory("cidlist-").FullName;
        try
        {
            using (var list = new CidSpillList(folder, threshold))
            {
                for (int i = 0; i < count; i++)
                {
                    list.Add(Numbered(i));
                }

                Assert.Equal(count, list.Count);
                Assert.Equal(count >= threshold, list.Spilled);
                Assert.Empty(Directory.GetFiles(folder));

                var chunks = list.ReadChunks(chunk).ToList();
                Assert.All(chunks, c => Assert.InRange(c.Count, 1, chunk));
                Assert.Equal(Enumerable.Range(0, count).Select(Numbered), chunks.SelectMany(c => c));

                // Read twice, and after more adds: the same order, the new ones last.
                list.Add(Numbered(count));
                Assert.Equal(Enumerable.Range(0, count + 1).Select(Numbered), list.ReadChunks(chunk).SelectMany(c => c));
            }

            Assert.Empty(Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_list_the_disk_refuses_keeps_every_cid_in_memory()
    {
        string folder = Directory.CreateTempSubdirectory("cidlist-full-").FullName;
        try
        {
            // The second write fails as on a full disk: the first batch is on disk, the rest stay in memory.
            var fault = new FileFaultInjector(folder) { FailAt = 2, Counts = (operation, _) => operation == FileOperation.Write };
            using var list = new CidSpillList(folder, 100);
            using (FileFaults.Install(fault))
            {
                for (int i = 0; i < 1_000; i++)
                {
                    list.Add(Numbered(i));
                }
            }

            Assert.True(fault.Failed);
            Assert.Equal(1_000, list.Count);
            Assert.Equal(Enumerable.Range(0, 1_000).Select(Numbered), list.ReadChunks(64).SelectMany(c => c));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_disposed_list_refuses_use()
    {
        var list = new CidSpillList(null);
        list.Add(Numbered(1));
        list.Dispose();
        list.Dispose();
        Assert.Throws<ObjectDisposedException>(() => list.Add(Numbered(2)));
        Assert.Throws<ObjectDisposedException>(() => list.ReadChunks(1));
    }
}
