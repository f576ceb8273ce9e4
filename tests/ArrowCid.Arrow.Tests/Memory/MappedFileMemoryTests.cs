using ArrowCid.Arrow.Memory;

namespace ArrowCid.Arrow.Tests.Memory;

/// <summary>A file mapped from an open handle (one mmap call): the file's bytes, still there once the handle is closed, gone at dispose.</summary>
public sealed class MappedFileMemoryTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "arrowcid-mapped-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void A_file_mapped_from_a_handle_reads_its_bytes_after_the_handle_is_closed()
    {
        byte[] bytes = new byte[3 * 4096 + 123];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(_path, bytes);

        MappedFileMemory mapped;
        using (var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            mapped = MappedFileMemory.Map(handle, 0, bytes.Length, _path);
        }

        using ((IDisposable)mapped)
        {
            Assert.Equal(bytes.Length, mapped.Length);
            Assert.True(mapped.GetSpan().SequenceEqual(bytes));

            // A range maps only what was asked, from any offset (mmap itself starts at a page).
            using var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var prefix = (IDisposable)MappedFileMemory.Map(handle, 0, 100, _path);
            Assert.True(((MappedFileMemory)prefix).GetSpan().SequenceEqual(bytes.AsSpan(0, 100)));
            foreach (int offset in new[] { 1, 4095, 4096, 5000 })
            {
                using var range = (IDisposable)MappedFileMemory.Map(handle, offset, bytes.Length - offset, _path);
                Assert.True(((MappedFileMemory)range).GetSpan().SequenceEqual(bytes.AsSpan(offset)));
            }
        }

        Assert.Throws<ObjectDisposedException>(() => mapped.GetSpan().Length);
    }

    [Fact]
    public void An_empty_mapping_and_a_bad_length_are_handled()
    {
        File.WriteAllBytes(_path, [1, 2, 3]);
        using var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using (var empty = (IDisposable)MappedFileMemory.Map(handle, 0, 0, _path))
        {
            Assert.Equal(0, ((MappedFileMemory)empty).Length);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => MappedFileMemory.Map(handle, 0, -1, _path));
        Assert.Throws<ArrowFormatException>(() => MappedFileMemory.Map(handle, 0, (long)int.MaxValue + 1, _path));
    }
}
