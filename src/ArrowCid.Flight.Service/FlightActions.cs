using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.Wire;
using Google.Protobuf;

using ArrowCid.Node;

namespace ArrowCid.Flight.Service;

/// <summary>
/// The DoAction verbs. Bodies are a CID as text, or a JSON object for tag; results are JSON
/// objects (the raw block for "block"). See docs/flight.md.
/// </summary>
internal sealed class FlightActions(ContentNode node, FlightAuthenticator auth)
{
    /// <summary>Results of "block" are cut into pieces of this size so no message nears a client's limit.</summary>
    private const int BlockPieceSize = 1 << 20;

    public static IReadOnlyList<ActionType> Types { get; } =
    [
        new() { Type = "pin", Description = "Pin a CID so garbage collection keeps it (a dataset keeps its batches). Body: the CID. Needs write." },
        new() { Type = "unpin", Description = "Unpin a CID; the next gc may remove it. Body: the CID. Needs write." },
        new() { Type = "tag", Description = "Set or remove a tag. Body: {\"cid\":…,\"key\":…,\"value\":… (null removes)}. Needs write." },
        new() { Type = "delete", Description = "Remove a CID from this node (registry row and block) unless it is named or part of a pinned or named table (however deep). Body: the CID. Needs write." },
        new() { Type = "verify", Description = "Re-hash a CID's stored bytes (every node and chunk of a table), or, with an empty body, report the whole repository." },
        new() { Type = "stats", Description = "Counts and sizes of what this node serves, its location and the registry's latest change sequence." },
        new() { Type = "block", Description = "The raw bytes of a stored block (e.g. a dataset manifest), for peers and clients that verify datasets. Body: the CID." },
        new() { Type = "names", Description = "Every table name with its latest version: one result {\"name\",\"version\",\"cid\",\"created\",\"rows\"} per name, in name order. Body: empty." },
        new() { Type = "versions", Description = "Every version of a table name, newest first: one result {\"name\",\"version\",\"cid\",\"created\",\"rows\"} each. Body: the name." },
    ];

    public async Task RunAsync(Protocol.Action action, IServerStreamWriter<Result> responses, ServerCallContext context)
    {
        bool writes = action.Type is "pin" or "unpin" or "tag" or "delete";
        auth.Require(context, writes ? AccessRole.Write : AccessRole.Read);
        switch (action.Type)
        {
            case "pin":
            case "unpin":
                await Reply(responses, context, await SetPinAsync(BodyCid(action), action.Type == "pin", context.CancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                break;
            case "tag":
                await Reply(responses, context, Tag(action.Body)).ConfigureAwait(false);
                break;
            case "delete":
                await Reply(responses, context, Delete(BodyCid(action))).ConfigureAwait(false);
                break;
            case "verify":
                await Reply(responses, context, action.Body.IsEmpty ? VerifyAll() : Verify(BodyCid(action))).ConfigureAwait(false);
                break;
            case "stats":
                await Reply(responses, context, Stats()).ConfigureAwait(false);
                break;
            case "block":
                await SendBlock(BodyCid(action), responses, context).ConfigureAwait(false);
                break;
            case "names":
                await ReplyEach(responses, context, node.Registrations.Registry.WalkNames()).ConfigureAwait(false);
                break;
            case "versions":
                await ReplyEach(responses, context, Versions(action.Body)).ConfigureAwait(false);
                break;
            default:
                throw new RpcException(StatusCode.InvalidArgument, $"unknown action '{(action.Type.Length > 40 ? action.Type[..40] : action.Type)}'; ListActions names them");
        }
    }

    private static Cid BodyCid(Protocol.Action action) => FlightRequests.ParseCid(FlightRequests.DecodeText(action.Body, "action body"), "action body");

    private async Task<ByteString> SetPinAsync(Cid cid, bool pin, CancellationToken cancellationToken)
    {
        var local = node.Repository.Repository;
        if (pin && node.Cache is not null)
        {
            // Pinned into the cache: the table is fetched here first, so the pin here keeps it here.
            await node.EnsureLocalAsync(cid, cancellationToken).ConfigureAwait(false);
        }

        bool found = pin ? local.Pin(cid) : local.Unpin(cid);
        if (node.Cache is not null)
        {
            if (pin)
            {
                // What the cache evicted between the fetch and the pin comes back, kept now.
                await node.EnsureLocalAsync(cid, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                node.Cache.Unpinned();
            }
        }

        if (node.Registrations.IsShared)
        {
            found |= pin ? node.Registrations.Registry.Pin(cid) : node.Registrations.Registry.Unpin(cid);
        }

        if (!found)
        {
            throw FlightErrors.NotFound(cid.ToString());
        }

        node.Registrations.Registered(cid, pin);
        return FlightBodies.Json(new PinResult(cid.ToString(), pin), WireJsonContext.Default.PinResult);
    }

    private ByteString Tag(ByteString body)
    {
        var request = FlightRequestJson.Read(body.Span, WireJsonContext.Default.TagBody, "tag action body");
        var cid = FlightRequests.ParseCid(request.Cid ?? throw FlightErrors.Invalid("tag: 'cid' is missing"), "tag");
        string key = request.Key is { Length: > 0 } k ? k : throw FlightErrors.Invalid("tag: 'key' is missing or empty");
        string? value = request.Value;
        bool found = false;
        foreach (var registry in Registries())
        {
            if (registry.Find(cid) is not { } record)
            {
                continue;
            }

            node.Options.Limits.CheckTagSet(record.Tags, key, value);
            found = true;
            if (value is null)
            {
                registry.RemoveTag(cid, key);
            }
            else
            {
                registry.SetTag(cid, key, value);
            }
        }

        if (!found)
        {
            throw FlightErrors.NotFound(cid.ToString());
        }

        node.Registrations.Registered(cid);
        return FlightBodies.Json(new TagBody(cid.ToString(), key, value), WireJsonContext.Default.TagBody);
    }

    private ByteString Delete(Cid cid)
    {
        var local = node.Repository.Repository;
        if (local.GetRecord(cid) is null && !local.Blocks.Has(cid))
        {
            throw FlightErrors.NotFound(cid.ToString());
        }

        if (local.Registry.GetLinkingDatasets(cid).Any(d => local.GetRecord(d)?.Pinned == true))
        {
            throw new RpcException(StatusCode.FailedPrecondition, $"{cid} is linked by a pinned dataset; unpin or delete the dataset first");
        }

        // A name's history is never rewritten, so what a version names stays.
        if (Registries().SelectMany(r => r.ListVersionsOf(cid)).FirstOrDefault() is { } named)
        {
            throw new RpcException(StatusCode.FailedPrecondition, $"{cid} is version {named.Version} of the table name '{named.Name}'; every version of a name is kept");
        }

        // However deep: a chunk or an inner node of a pinned or named table's tree is part of the
        // table. It is when something above it in the links is pinned or named (what gc keeps), in
        // any registry this node answers to; the walk goes up from it, so it costs the tree's
        // depth, not the registry's size. A pinned table root itself may still be deleted: its pin
        // guards it from gc, not from its owner.
        foreach (var registry in Registries())
        {
            if (registry.FindRetainingAncestor(cid) is { } holder)
            {
                throw new RpcException(StatusCode.FailedPrecondition, $"{cid} is part of a pinned or named table (under {holder}); delete or unpin that table first");
            }
        }

        // Row first, then block: a crash in between leaves an orphan block, which verify tidies.
        local.Registry.Delete(cid);
        local.Blocks.Delete(cid);
        node.Content.Forget(cid);
        // Other nodes' copies are theirs: the shared record loses this node's location only.
        node.Registrations.Dropped(cid);
        return FlightBodies.Json(new DeleteResult(cid.ToString(), true), WireJsonContext.Default.DeleteResult);
    }

    private ByteString Verify(Cid cid)
    {
        // A table's blocks depth first, each once (one walk of the tree).
        List<Cid> blocks = node.Repository.IsManifest(cid)
            ? TableBlocks.Read(node.Repository, cid).Blocks.Select(b => b.Cid).ToList()
            : [cid];

        long bytes = 0;
        foreach (var block in blocks)
        {
            // Always a fresh hash: verify must not trust what an earlier read remembered.
            node.Content.Forget(block);
            using var opened = node.Reader.Open(block);
            bytes += opened.Memory.Length;
        }

        return FlightBodies.Json(new BlockVerifyResult(cid.ToString(), true, blocks.Count, bytes), WireJsonContext.Default.BlockVerifyResult);
    }

    private ByteString VerifyAll()
    {
        var report = node.Repository.Repository.Verify();
        return FlightBodies.Json(
            new RepositoryVerifyResult(
                report.CorruptBlocks.Count == 0 && report.MissingBlocks.Count == 0,
                report.RecordsChecked,
                report.BlocksChecked,
                report.CorruptBlocks.Count,
                report.MissingBlocks.Count,
                report.OrphanBlocks.Count),
            WireJsonContext.Default.RepositoryVerifyResult);
    }

    private ByteString Stats()
    {
        // Counted by the database and walked in the store: nothing held in proportion to either.
        var totals = node.Registrations.Registry.CountByKind();
        var batches = totals.GetValueOrDefault(BlockKind.Batch);
        return FlightBodies.Json(
            new NodeStats(
                node.Identity.Location,
                node.Registrations.IsShared,
                totals.Values.Sum(t => t.Records),
                batches.Records,
                totals.GetValueOrDefault(BlockKind.Dataset).Records,
                batches.Rows,
                batches.Bytes,
                node.Repository.Repository.Blocks.Enumerate().LongCount(),
                node.Registrations.Registry.LatestSequence),
            WireJsonContext.Default.NodeStats);
    }

    private async Task SendBlock(Cid cid, IServerStreamWriter<Result> responses, ServerCallContext context)
    {
        // A block another node holds (e.g. the manifest of a dataset put elsewhere) is fetched first, as DoGet does.
        // One held here is sent as it is, whether or not the rest of its table is: its bytes are
        // all that was asked for (a peer assembling a table whose blocks were handed over to
        // several nodes asks each for the blocks it holds).
        if (!node.Reader.Has(cid))
        {
            await node.EnsureLocalAsync(cid, context.CancellationToken).ConfigureAwait(false);
        }

        using var block = node.Reader.Open(cid);
        for (int at = 0; at < block.Memory.Length; at += BlockPieceSize)
        {
            var piece = block.Memory.Slice(at, Math.Min(BlockPieceSize, block.Memory.Length - at));
            await responses.WriteAsync(new Result { Body = UnsafeByteOperations.UnsafeWrap(piece) }, context.CancellationToken).ConfigureAwait(false);
        }
    }

    // A name's versions, newest first, walked a page at a time as they are replied (a name may have millions).
    private IEnumerable<NamedVersion> Versions(ByteString body)
    {
        string name = FlightRequests.ReferenceOf(FlightRequests.DecodeText(body, "action body"), "versions") is { Version: null } reference
            ? reference.Name
            : throw FlightErrors.Invalid("versions: the body is a table name, without @N");
        var registry = node.Registrations.Registry;
        return registry.ListVersions(name, limit: 1).Count > 0
            ? registry.WalkVersions(name)
            : throw new DatasetNotFoundException(new DatasetReference(name, null), 0);
    }

    /// <summary>One result per version, as a JSON object; rows come from the version's record when it is registered.</summary>
    private async Task ReplyEach(IServerStreamWriter<Result> responses, ServerCallContext context, IEnumerable<NamedVersion> versions)
    {
        foreach (var version in versions)
        {
            var record = node.Registrations.Find(version.Cid);
            await Reply(responses, context, FlightBodies.Json(
                new NameVersionEntry(version.Name, version.Version, version.Cid.ToString(), version.Created, record?.Rows, version.Node?.ToString()),
                WireJsonContext.Default.NameVersionEntry)).ConfigureAwait(false);
        }
    }

    private IEnumerable<IRegistry> Registries() =>
        node.Registrations.IsShared ? [node.Repository.Repository.Registry, node.Registrations.Registry] : [node.Repository.Repository.Registry];

    private static Task Reply(IServerStreamWriter<Result> responses, ServerCallContext context, ByteString json) =>
        responses.WriteAsync(new Result { Body = json }, context.CancellationToken);
}
