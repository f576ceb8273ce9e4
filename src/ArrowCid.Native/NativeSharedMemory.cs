using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory;

namespace ArrowCid.Native;

/// <summary>The shared-memory entry points: open, close, publish, attach and the feed.</summary>
internal static unsafe class NativeSharedMemory
{
    private const string What = "the shared-memory handle";

    // Room for any CID the feed carries (a CIDv1 of a SHA-256 is 59 characters in base32) and its NUL.
    private const int NoticeCidBytes = 64;

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_shm_open")]
    public static int Open(byte* baseDirectory, byte* storeName, nint* output) => NativeErrors.Run(() =>
    {
        if (output == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the handle output is NULL");
        }

        *output = 0;
        var options = new ShmStoreOptions
        {
            BaseDirectory = NativeText.Read(baseDirectory, "the base folder"),
            StoreName = NativeText.Read(storeName, "the store name") ?? ShmStoreOptions.DefaultStoreName,
        };
        *output = NativeHandles.Add(ShmStore.Open(options));
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_shm_close")]
    public static void Close(nint store) => NativeErrors.Run(() =>
    {
        NativeHandles.Close<ShmStore>(store);
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_shm_publish")]
    public static int Publish(nint store, CArrowArrayStream* input, byte* cid, nuint capacity) => NativeErrors.Run(() =>
    {
        using var stream = CallerStream.Open(input);
        var shm = NativeHandles.Get<ShmStore>(store, What);
        if (cid == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the cid buffer is NULL");
        }

        var published = shm.PublishTable(stream.Schema, stream.Batches());
        NativeText.Write(published.Cid.ToString(), cid, capacity, "cid");
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_shm_attach")]
    public static int Attach(nint store, byte* cid, CArrowArrayStream* output) => NativeErrors.Run(() =>
    {
        NativeStreams.Clear(output);
        var shm = NativeHandles.Get<ShmStore>(store, What);
        var id = ParseCid(NativeText.Required(cid, "the cid"));
        if (id.Codec == Multicodec.Raw)
        {
            // One chunk: attached here, so a missing or refused segment fails this call.
            CArrowArrayStreamExporter.ExportOne(shm.Attach(id), output);
        }
        else
        {
            // The root is read (and verified) here; each chunk is attached when get_next reaches it.
            var table = shm.OpenTable(id);
            NativeStreams.Export(table.Schema, shm.AttachChunks(table), output);
        }

        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_shm_next")]
    public static int Next(nint store, ulong* cursor, int timeoutMilliseconds, byte* cid, nuint capacity) => NativeErrors.Run(() =>
    {
        var shm = NativeHandles.Get<ShmStore>(store, What);
        if (cursor == null || cid == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, cursor == null ? "the cursor is NULL" : "the cid buffer is NULL");
        }

        if (*cursor > long.MaxValue)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, $"the cursor {*cursor} is past any sequence");
        }

        if (timeoutMilliseconds < -1)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, $"the timeout {timeoutMilliseconds} ms is negative (use -1 to wait forever)");
        }

        // Checked before a notice is taken, so a short buffer never loses one.
        NativeText.RequireCapacity(cid, capacity, NoticeCidBytes, "cid");

        var timeout = timeoutMilliseconds == -1 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(timeoutMilliseconds);
        var notice = shm.Subscribe((long)*cursor).Next(timeout);
        if (notice is null)
        {
            return NativeErrors.Fail(NativeResult.Timeout, $"no notice after sequence {*cursor} within {timeoutMilliseconds} ms");
        }

        NativeText.Write(notice.Cid.ToString(), cid, capacity, "cid");
        *cursor = (ulong)notice.Sequence;
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_shm_cursor")]
    public static int Cursor(nint store, ulong* cursor) => NativeErrors.Run(() =>
    {
        var shm = NativeHandles.Get<ShmStore>(store, What);
        if (cursor == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the cursor is NULL");
        }

        *cursor = (ulong)shm.PublishedSequence;
        return NativeResult.Ok;
    });

    private static Cid ParseCid(string text) =>
        Cid.TryParse(text, out var cid) ? cid : throw new NativeCallException(NativeResult.InvalidArgument, $"'{text}' is not a CID");
}
