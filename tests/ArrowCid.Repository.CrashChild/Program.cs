// Puts blocks into a repository forever, printing "ack <cid>" only after PutBlock has returned:
// every CID printed is one the repository has acknowledged, which the parent test holds it to
// after killing this process at a random point.
using System.Globalization;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ArrowCid.Repository.CrashChild <repo folder> <seed>");
    return 2;
}

var random = new Random(int.Parse(args[1], CultureInfo.InvariantCulture));
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
