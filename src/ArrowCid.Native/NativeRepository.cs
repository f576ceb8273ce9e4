using System.Runtime.InteropServices;
using ArrowCid.Arrow.CData;
using ArrowCid.Content.Multiformats;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.Wire;

namespace ArrowCid.Native;

/// <summary>The repository entry points: open, close, put, get, names and a name's log.</summary>
internal static unsafe class NativeRepository
{
    private const string What = "the repository handle";

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_repo_open")]
    public static int Open(byte* path, nint* output) => NativeErrors.Run(() =>
    {
        if (output == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the handle output is NULL");
        }

        *output = 0;
        var folder = NodeFolder.Open(ContentRepository.Open(NativeText.Read(path, "the repository path")));
        *output = NativeHandles.Add(folder);
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_repo_close")]
    public static void Close(nint repository) => NativeErrors.Run(() =>
    {
        NativeHandles.Close<NodeFolder>(repository);
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_put")]
    public static int Put(nint repository, CArrowArrayStream* input, byte* name, byte* cid, nuint capacity) => NativeErrors.Run(() =>
    {
        // The stream is moved first, so it is the library's to release whatever fails next.
        using var stream = CallerStream.Open(input);
        var folder = NativeHandles.Get<NodeFolder>(repository, What);
        string? dataset = NativeText.Read(name, "the name");
        if (cid == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the cid buffer is NULL");
        }

        var result = folder.Content.PutStream(stream.Schema, stream.Batches(), new PutOptions { Name = dataset });
        NativeText.Write(result.Table.Cid.ToString(), cid, capacity, "cid");
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_get")]
    public static int Get(nint repository, byte* reference, CArrowArrayStream* output) => NativeErrors.Run(() =>
    {
        NativeStreams.Clear(output);
        var folder = NativeHandles.Get<NodeFolder>(repository, What);
        var cid = Resolve(NativeText.Required(reference, "the reference"), folder.Content.Repository.Registry);
        var content = folder.Content;
        var table = content.OpenTable(cid);
        NativeStreams.Export(table.Schema, content.ReadBatches(cid), output);
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_names")]
    public static int Names(nint repository, byte** json) => NativeErrors.Run(() =>
    {
        var output = JsonOutput(json);
        var folder = NativeHandles.Get<NodeFolder>(repository, What);
        IReadOnlyList<NameVersionEntry> names = [.. folder.Registry.WalkNames().Select(v => new NameVersionEntry(v.Name, v.Version, v.Cid.ToString(), v.Created, null))];
        *output = NativeText.Allocate(WireJson.ToText(names, WireJsonContext.Default.IReadOnlyListNameVersionEntry));
        return NativeResult.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_log")]
    public static int Log(nint repository, byte* name, byte** json) => NativeErrors.Run(() =>
    {
        var output = JsonOutput(json);
        var folder = NativeHandles.Get<NodeFolder>(repository, What);
        string text = NativeText.Required(name, "the name");
        // One document, so the caller gets every version at once; described as the versions are walked.
        var entries = NameHistory.Describe(folder.Content, folder.Registry.WalkVersions(text)).ToList();
        if (entries.Count == 0)
        {
            throw new DatasetNotFoundException(new DatasetReference(text, null), 0);
        }

        *output = NativeText.Allocate(WireJson.ToText<IReadOnlyList<VersionLogEntry>>(entries, WireJsonContext.Default.IReadOnlyListVersionLogEntry));
        return NativeResult.Ok;
    });

    /// <summary>A CID, or the CID a name (its latest version) or <c>NAME@N</c> points at.</summary>
    private static Cid Resolve(string text, IRegistry registry) =>
        Cid.TryParse(text, out var cid) ? cid : DatasetReference.Parse(text).Resolve(registry).Cid;

    private static byte** JsonOutput(byte** json)
    {
        if (json == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, "the text output is NULL");
        }

        *json = null;
        return json;
    }
}
