using System.Text.Json.Nodes;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Hosting;
using ArrowCid.Names;
using ArrowCid.Registry;
using ArrowCid.Repository;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// Signed names on the command line: names and log show each version's node and signer; name
/// resolve, get /ipns/… and flight pull /ipns/… verify the record and chain, and refuse a record
/// signed by another key or a chain that does not link back; name upgrade links older versions.
/// </summary>
public sealed class SignedNameCommandTests : IDisposable
{
    private const string Primitive = "1.0.0-littleendian/generated_primitive";
    private const string Dictionary = "1.0.0-littleendian/generated_dictionary";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    [Fact]
    public void Names_resolve_through_their_verified_chain_and_get_reads_the_table_an_ipns_name_names()
    {
        string first = Table(InRepo("put", Golden.File(Primitive), "--name", "plant-3/temps"));
        string second = Table(InRepo("put", Golden.File(Dictionary), "--name", "plant-3/temps"));

        var named = JsonNode.Parse(InRepo("names", "--json").Out)!.AsArray().Single()!;
        string ipns = named["ipns"]!.GetValue<string>();
        Assert.StartsWith("k51qzi5uqu5", ipns, StringComparison.Ordinal);
        var log = JsonNode.Parse(InRepo("log", "plant-3/temps", "--json").Out)!.AsArray();
        Assert.Equal(named["node"]!.GetValue<string>(), log[0]!["node"]!.GetValue<string>());
        Assert.NotEqual(log[0]!["node"]!.GetValue<string>(), log[1]!["node"]!.GetValue<string>());

        // By table name and by IPNS name, in text and JSON.
        var text = InRepo("name", "resolve", "plant-3/temps");
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Equal($"/ipns/{ipns} plant-3/temps@2 {second}", Lines(text.Out)[0]);
        Assert.Contains("2 versions linked back to version 1", text.Out, StringComparison.Ordinal);
        var json = JsonNode.Parse(InRepo("name", "resolve", $"/ipns/{ipns}", "--json").Out)!;
        Assert.Equal((ipns, 2L, second, 2), (json["ipns"]!.GetValue<string>(), json["version"]!.GetValue<long>(), json["table"]!.GetValue<string>(), json["versions"]!.GetValue<int>()));

        // get of /ipns/… reads the head's table, byte for byte what get of the name gives.
        Assert.Equal(0, InRepo("get", $"/ipns/{ipns}", "-o", _temp.File("by-ipns.arrows")).ExitCode);
        Assert.Equal(0, InRepo("get", "plant-3/temps", "-o", _temp.File("by-name.arrows")).ExitCode);
        Assert.Equal(File.ReadAllBytes(_temp.File("by-name.arrows")), File.ReadAllBytes(_temp.File("by-ipns.arrows")));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void A_record_signed_by_another_key_or_over_a_rewritten_chain_is_refused_naming_what_failed()
    {
        InRepo("put", Golden.File(Primitive), "--name", "sensors");
        string second = Table(InRepo("put", Golden.File(Dictionary), "--name", "sensors"));
        IpnsName ipns;
        Cid firstNode;
        using (var content = ContentRepository.Open(Repo))
        {
            ipns = content.Names.SignerOf("sensors")!;
            firstNode = content.Repository.Registry.FindVersion("sensors", 1)!.Node!;

            // Another key's record, with a higher sequence, kept as if a node had taken it blindly.
            using var other = NameKey.Generate();
            byte[] forged = IpnsRecord.Create(other, "/ipfs/" + firstNode, 5, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero);
            content.Repository.Registry.KeepIpnsRecord(new KeptIpnsRecord(ipns.ToString(), 5, DateTimeOffset.UtcNow.AddDays(1), forged));
        }

        var refused = InRepo("name", "resolve", "sensors");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("(bad-signature)", refused.Error, StringComparison.Ordinal);
        Assert.Equal(1, InRepo("get", $"/ipns/{ipns}", "-o", _temp.File("none")).ExitCode);

        // The right key over a history with version 2 dropped: the chain does not count down.
        using (var content = ContentRepository.Open(Repo))
        {
            var head = content.Names.ReadNode(content.Repository.Registry.FindVersion("sensors")!.Node!);
            var (bytes, skipping) = new VersionNode("sensors", 3, head.Table, firstNode, DateTimeOffset.UtcNow, head.Schema, ipns).Encode();
            content.Repository.PutBlock(skipping, bytes, new Registry.BlockRecord { Cid = skipping, Kind = Registry.BlockKind.VersionNode, Pinned = true });
            using var key = content.Names.Keys.Load("sensors");
            byte[] rewritten = IpnsRecord.Create(key, "/ipfs/" + skipping, 6, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero);
            content.Repository.Registry.KeepIpnsRecord(new KeptIpnsRecord(ipns.ToString(), 6, DateTimeOffset.UtcNow.AddDays(1), rewritten));
        }

        var broken = InRepo("name", "resolve", $"/ipns/{ipns}");
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("(broken)", broken.Error, StringComparison.Ordinal);
        Assert.NotEmpty(second);
    }

    [Fact]
    public void Upgrade_links_the_versions_of_a_repository_made_before_signed_names()
    {
        string table = Table(InRepo("put", Golden.File(Primitive)));
        using (var content = ContentRepository.Open(Repo))
        {
            // As a build before chains recorded versions: in the registry alone.
            content.Repository.AddVersion("old", Cid.Parse(table));
            content.Repository.AddVersion("old", Cid.Parse(table));
        }

        Assert.Equal(1, InRepo("name", "resolve", "old").ExitCode);
        var upgrade = InRepo("name", "upgrade");
        Assert.True(upgrade.ExitCode == 0, upgrade.Error);
        Assert.Equal("linked 2 versions", upgrade.Out.Trim());
        Assert.Equal("linked 0 versions", InRepo("name", "upgrade").Out.Trim());
        Assert.Contains("old@2", InRepo("name", "resolve", "old").Out, StringComparison.Ordinal);
        Assert.Equal([2L, 1L], JsonNode.Parse(InRepo("log", "old", "--json").Out)!.AsArray().Select(v => v!["version"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Flight_pull_and_resolve_of_an_ipns_name_verify_the_nodes_record_and_chain_first()
    {
        using var served = ContentRepository.Open(_temp.File("served"));
        await using var node = await FlightNode.StartAsync(served);
        Assert.Equal(0, CliRun.Run("flight", "put", "--server", node.Location, Golden.Stream(Primitive), "--name", "sensors").ExitCode);
        var put = CliRun.Run("flight", "put", "--server", node.Location, Golden.Stream(Dictionary), "--name", "sensors");
        string latest = Lines(put.Out).Single(l => l.StartsWith("table ", StringComparison.Ordinal)).Split(' ')[1];
        var ipns = served.Names.SignerOf("sensors")!;

        var resolved = CliRun.Run("--repo", _temp.File("elsewhere"), "name", "resolve", "sensors", "--server", node.Location);
        Assert.True(resolved.ExitCode == 0, resolved.Error);
        Assert.Equal($"/ipns/{ipns} sensors@2 {latest}", Lines(resolved.Out)[0]);

        var pulled = InRepo("flight", "pull", "--server", node.Location, $"/ipns/{ipns}");
        Assert.True(pulled.ExitCode == 0, pulled.Error);
        Assert.Contains($"pulled {latest}", pulled.Out, StringComparison.Ordinal);
        Assert.Equal(latest, JsonNode.Parse(InRepo("names", "--json").Out)!.AsArray().Single()!["cid"]!.GetValue<string>());

        // The node's record re-signed by another key: the pull is refused before a block is copied.
        using (var other = NameKey.Generate())
        {
            var head = served.Repository.Registry.FindVersion("sensors")!.Node!;
            served.Repository.Registry.KeepIpnsRecord(new KeptIpnsRecord(ipns.ToString(), 9, DateTimeOffset.UtcNow.AddDays(1), IpnsRecord.Create(other, "/ipfs/" + head, 9, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero)));
        }

        var refused = CliRun.Run("--repo", _temp.File("third"), "flight", "pull", "--server", node.Location, $"/ipns/{ipns}");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("(bad-signature)", refused.Error, StringComparison.Ordinal);
        Assert.Empty(CliRun.Run("--repo", _temp.File("third"), "names").Out.Trim());
    }
}
