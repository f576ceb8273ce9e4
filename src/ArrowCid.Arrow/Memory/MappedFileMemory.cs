using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace ArrowCid.Arrow.Memory;

/// <summary>
/// A read-only memory mapping of a whole file exposed as <see cref="ReadOnlyMemory{T}"/>, so
/// readers slice arrays straight out of the page cache. Dispose unmaps it: hold it through a
/// <see cref="SharedLease"/> while any array uses the memory.
/// </summary>
public sealed unsafe class MappedFileMemory : MemoryManager<byte>
{
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _pointer;
    private readonly int _length;

    // Mapped by mmap directly (Map(SafeFileHandle, …)): the mapping's start and length for munmap,
    // which may begin before the range exposed (mmap maps from a page boundary).
    private readonly byte* _directStart;
    private readonly nuint _directLength;
    private bool _disposed;

    private MappedFileMemory(MemoryMappedViewAccessor? view, byte* pointer, int length, byte* directStart = null, nuint directLength = 0)
    {
        _view = view;
        _pointer = pointer;
        _length = length;
        _directStart = directStart;
        _directLength = directLength;
    }

    /// <summary>Maps <paramref name="path"/> read-only. Files over 2 GiB - 1 are refused (one span cannot cover them).</summary>
    public static MappedFileMemory Open(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Map(stream);
    }

    /// <summary>
    /// Maps an open file read-only, whole. The mapping holds the file by itself: the caller may
    /// dispose <paramref name="file"/> at once. For callers that look at the open file (its length,
    /// its write time) before mapping it, so what they looked at is what gets mapped.
    /// </summary>
    public static MappedFileMemory Map(FileStream file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Map(file.SafeFileHandle, 0, file.Length, file.Name);
    }

    /// <summary>
    /// Maps <paramref name="length"/> bytes of an open file from <paramref name="offset"/>
    /// read-only with one mmap call on Linux (elsewhere through <see cref="MemoryMappedFile"/>),
    /// every mapping of this type included: the memory-mapped-file objects, their status calls and
    /// their madvise cost more than the mapping when hundreds of small files are mapped at once (a
    /// repository's pack indexes at open). A part of a file read at random may be mapped apart from
    /// the rest: a page fault maps up to 64 KiB around it (the kernel's fault-around), never past
    /// the mapping. The mapping holds the file by
    /// itself: the caller may close <paramref name="file"/>.
    /// </summary>
    /// <param name="file">The open file.</param>
    /// <param name="offset">Where the range starts in the file.</param>
    /// <param name="length">Bytes to map, at most 2 GiB - 1, within the file.</param>
    /// <param name="name">The file's name, for errors.</param>
    public static MappedFileMemory Map(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long length, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > int.MaxValue)
        {
            throw new ArrowFormatException($"{name}: {length} bytes is too large to map as one buffer (limit {int.MaxValue})");
        }

        if (length == 0)
        {
            return new MappedFileMemory(null, null, 0);
        }

        IO.FileFaults.Check(IO.FileOperation.Map, name);
        if (!OperatingSystem.IsLinux())
        {
            // The view outlives the mapping object (a mapping stays valid once its file is closed), so
            // the object, which holds the open file, goes at once: a long-held mapping costs no descriptor.
            using var mapped = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            var view = mapped.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            // The pointer stays valid until ReleasePointer in Dispose; arrays reach it only through Memory.
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new MappedFileMemory(view, pointer + view.PointerOffset, (int)length);
        }

        long start = offset & ~((long)Environment.SystemPageSize - 1);
        nuint mappedLength = (nuint)(offset - start + length);
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            void* address = NativeMethods.Mmap(null, mappedLength, ProtRead, MapShared, (int)file.DangerousGetHandle(), start);
            if (address == MapFailed)
            {
                throw new IOException($"{name}: mmap failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
            }

            return new MappedFileMemory(null, (byte*)address + (offset - start), (int)length, (byte*)address, mappedLength);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    private const int ProtRead = 1;
    private const int MapShared = 1;
    private static readonly void* MapFailed = (void*)-1;

    /// <summary>Length of the mapping in bytes.</summary>
    public int Length => _length;

    /// <inheritdoc/>
    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Span<byte>(_pointer, _length);
    }

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new MemoryHandle(_pointer + elementIndex);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <summary>
    /// Drops this process's view of the pages it has read (madvise MADV_DONTNEED): they stay in the
    /// page cache, out of the process's resident memory, and a later read maps them again. A pass
    /// over a whole file (a checksum, a merge of sorted keys) calls it when done, so that walking a
    /// store larger than memory leaves the process's RSS where it was. Only a hint: a failure is
    /// ignored, as on a system without madvise.
    /// </summary>
    public void ReleaseResidentPages() => ReleaseResidentPages(0, _length);

    /// <summary>
    /// <see cref="ReleaseResidentPages()"/> for the pages of a range already read (a sorted table
    /// merged as it goes): the pages it covers, widened to page boundaries, which only costs a
    /// later read of a neighbour a page fault.
    /// </summary>
    /// <param name="offset">Where the range starts.</param>
    /// <param name="length">Its length.</param>
    public void ReleaseResidentPages(int offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length - offset);
        if (length <= 0 || !OperatingSystem.IsLinux())
        {
            return;
        }

        // madvise wants a page-aligned start: the page holding the range's first byte.
        nuint page = (nuint)Environment.SystemPageSize;
        byte* start = (byte*)((nuint)(_pointer + offset) & ~(page - 1));
        _ = NativeMethods.Madvise(start, (nuint)(_pointer + offset + length - start), DontNeed);
    }

    private const int DontNeed = 4;

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        public static extern int Madvise(byte* address, nuint length, int advice);

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        public static extern void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        public static extern int Munmap(void* address, nuint length);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_directStart is not null)
        {
            _ = NativeMethods.Munmap(_directStart, _directLength);
        }
        else if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
    }
}
