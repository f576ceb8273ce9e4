// Puts blocks into a repository forever, printing "ack <cid>" only after PutBlock has returned:
// every CID printed is one the repository has acknowledged, which the parent test holds it to
// after killing this process at a random point. With a third argument, that many threads put at
// once (small blocks and one-chunk tables, so their puts share group commits) and each prints its
// own acknowledgements. With "hold-put" it stops a put halfway and waits to be killed.
using System.Globalization;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;

if (args.Length is not (2 or 3))
{
    Console.Error.WriteLine("usage: ArrowCid.Repository.CrashChild <repo folder> (<seed> [concurrent writers] | hold-put)");
    return 2;
}

if (args[1] == "hold-put")
{
    // A put stopped halfway: chunks stored (held by the put's guard), no table yet. Prints
    // "chunks <cid>… end" and waits for the parent, which collects garbage and then kills it.
    using var content = ContentRepository.Open(args[0], new LocalRepositoryOptions { VerifyOnRead = false });
    using var writer = content.CreateTableWriter(MixedTable.Schema);
    for (int batch = 0; writer.Chunks.Count < 2 && batch < 200; batch++)
    {
        using var rows = MixedTable.Build(7, batch * 10_000L, 10_000);
        writer.Add(rows);
    }

    Console.Out.Write($"chunks {string.Join(' ', writer.Chunks.Select(c => c.Cid))} end\n");
    Console.Out.Flush();
    Console.In.ReadLine();
    return 0;
}

int seed = int.Parse(args[1], CultureInfo.InvariantCulture);
if (args.Length == 3)
{
    int writers = int.Parse(args[2], CultureInfo.InvariantCulture);
    using var content = ContentRepository.Open(args[0], new LocalRepositoryOptions { VerifyOnRead = false });
    Console.Out.WriteLine("ready");
    Console.Out.Flush();
    var threads = Enumerable.Range(0, writers).Select(w => new Thread(() => PutConcurrently(content, seed, w)) { IsBackground = true }).ToList();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    return 0;
}

var random = new Random(seed);
using var repo = new LocalRepository(args[0], new LocalRepositoryOptions { VerifyOnRead = false });
var recent = new List<(Cid Cid, byte[] Bytes)>();
Console.Out.WriteLine("ready");
Console.Out.Flush();
for (long i = 0; ; i++)
{
    if (recent.Count > 0 && random.Next(10) == 0)
    {
        // Re-putting known content: an idempotent write that must not disturb the stored copy.
        var (cid, bytes) = recent[random.Next(recent.Count)];
        Acknowledge(repo.PutBlock(cid, bytes, BatchRecord(cid)).Cid);
    }
    else if (recent.Count >= 3 && random.Next(6) == 0)
    {
        var links = recent.OrderBy(_ => random.Next()).Take(3).Select(b => DagNode.Of(b.Cid));
        byte[] manifest = DagCborEncoder.EncodeBlock(DagNode.MapOf(("batches", DagNode.ListOf(links)), ("n", DagNode.Of(i))), out var cid);
        var record = new BlockRecord { Cid = cid, Kind = BlockKind.Dataset, Pinned = random.Next(2) == 0, Producer = "crash-child" };
        Acknowledge(repo.PutBlock(cid, manifest, record).Cid);
    }
    else
    {
        // Sizes span one page to a few hundred KiB, so kills land inside writes of every length.
        byte[] bytes = new byte[1 + random.Next(random.Next(2) == 0 ? 4096 : 300_000)];
        random.NextBytes(bytes);
        var cid = Cid.ForRaw(bytes);
        Acknowledge(repo.PutBlock(cid, bytes, BatchRecord(cid)).Cid);
        recent.Add((cid, bytes));
        if (recent.Count > 16)
        {
            recent.RemoveAt(0);
        }
    }
}

// One writer of the concurrent mode: even writers put small random blocks, odd ones distinct one-chunk tables.
static void PutConcurrently(ContentRepository content, int seed, int writer)
{
    var random = new Random(seed * 131 + writer);
    for (long n = 0; ; n++)
    {
        if (writer % 2 == 0)
        {
            byte[] bytes = new byte[1 + random.Next(2048)];
            random.NextBytes(bytes);
            var cid = Cid.ForRaw(bytes);
            Acknowledge(content.Repository.PutBlock(cid, bytes, BatchRecord(cid)).Cid);
        }
        else
        {
            using var table = MixedTable.Build((ulong)random.NextInt64(), 0, 1 + random.Next(40));
            Acknowledge(content.PutStream(MixedTable.Schema, [table]).Table.Cid);
        }
    }
}

static BlockRecord BatchRecord(Cid cid) => new()
{
    Cid = cid,
    Kind = BlockKind.Batch,
    Rows = 1,
    Producer = "crash-child",
    Tags = new Dictionary<string, string> { ["source"] = "crash-test" },
};

static void Acknowledge(Cid cid)
{
    // One write per line, terminated by a marker, so a line cut by the kill is recognisable.
    Console.Out.Write($"ack {cid} end\n");
    Console.Out.Flush();
}
