using System.Text.Json;
using ArrowCid.Names.Protocol;
using ArrowCid.TestSupport;
using Google.Protobuf;

namespace ArrowCid.Names.Tests;

/// <summary>IPNS names and records: made, read back, and every tampering refused with its fault; judged by the npm ipns package both ways.</summary>
public sealed class IpnsRecordTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_name_is_its_keys_libp2p_key_cid_in_base36_and_reads_back_in_every_form()
    {
        using var key = NameKey.Generate();
        string text = key.Name.ToString();
        Assert.StartsWith("k51qzi5uqu5", text, StringComparison.Ordinal);
        Assert.Equal(key.Name, IpnsName.Parse(text));
        Assert.Equal(key.Name, IpnsName.Parse("/ipns/" + text));
        Assert.Equal(key.Name, IpnsName.Parse(key.Name.Cid.ToString()));
        Assert.Equal(key.Name, IpnsName.Parse(Content.Multiformats.Multibase.EncodeWithoutPrefix(key.Name.Multihash.ToBytes(), 'z')));
        Assert.Null(IpnsName.TryParse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"));
        Assert.Null(IpnsName.TryParse("not a name"));

        // The key file round-trips, and one whose halves disagree is refused.
        byte[] file = key.ToLibp2pPrivateKey();
        using (var again = NameKey.FromLibp2pPrivateKey(file))
        {
            Assert.Equal(key.Name, again.Name);
        }

        file[^1] ^= 1;
        Assert.Throws<FormatException>(() => NameKey.FromLibp2pPrivateKey(file));
    }

    [Fact]
    public void A_record_verifies_for_its_name_and_every_change_is_refused_with_its_fault()
    {
        using var key = NameKey.Generate();
        using var other = NameKey.Generate();
        byte[] record = IpnsRecord.Create(key, "/ipfs/bafyreicygectcrmwz2bavjmgvdgeapn5iplezwlyx6dz3f6rrggf3u4jca", 3, Now.AddDays(1), TimeSpan.FromMinutes(5));
        var data = IpnsRecord.Verify(record, key.Name, Now);
        Assert.Equal(("/ipfs/bafyreicygectcrmwz2bavjmgvdgeapn5iplezwlyx6dz3f6rrggf3u4jca", 3UL, Now.AddDays(1), TimeSpan.FromMinutes(5)), (data.Value, data.Sequence, data.Validity, data.Ttl));
        Assert.True(record.Length < 400);

        Fault(IpnsRecordFault.BadSignature, record, other.Name, Now);
        Fault(IpnsRecordFault.Expired, record, key.Name, Now.AddDays(2));
        Fault(IpnsRecordFault.Malformed, [0xFF, 0xFF, 0xFF], key.Name, Now);
        Fault(IpnsRecordFault.TooLarge, new byte[IpnsRecord.MaxBytes + 1], key.Name, Now);

        // Re-signed by another key: refused for the name, whatever it says.
        var entry = IpnsEntry.Parser.ParseFrom(record);
        Fault(IpnsRecordFault.BadSignature, IpnsRecord.Create(other, data.Value, 4, Now.AddDays(1), TimeSpan.Zero), key.Name, Now);

        // A legacy field changed (the signed data kept): refused.
        var moved = entry.Clone();
        moved.Sequence = 9;
        Fault(IpnsRecordFault.Malformed, moved.ToByteArray(), key.Name, Now);

        // The signed data changed: the signature no longer holds.
        var tampered = entry.Clone();
        byte[] changed = tampered.Data.ToByteArray();
        changed[^1] ^= 1;
        tampered.Data = ByteString.CopyFrom(changed);
        Fault(IpnsRecordFault.BadSignature, tampered.ToByteArray(), key.Name, Now);

        // Without signatureV2 (a V1-only record): refused.
        var v1 = entry.Clone();
        v1.ClearSignatureV2();
        Fault(IpnsRecordFault.Malformed, v1.ToByteArray(), key.Name, Now);
    }

    [Fact]
    public async Task The_npm_ipns_package_validates_our_records_and_we_verify_its()
    {
        if (NodeInteropRunner.Unavailable("ipns", "@libp2p/crypto") is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        using var key = NameKey.Generate();
        using var other = NameKey.Generate();
        using var folder = new TempDirectory();
        var validity = DateTimeOffset.UtcNow.AddDays(1);
        var records = new Dictionary<string, string>
        {
            ["good"] = Convert.ToBase64String(IpnsRecord.Create(key, "/ipfs/bafyreicygectcrmwz2bavjmgvdgeapn5iplezwlyx6dz3f6rrggf3u4jca", 7, validity, TimeSpan.FromMinutes(1))),
            ["other_key"] = Convert.ToBase64String(IpnsRecord.Create(other, "/ipfs/bafyreicygectcrmwz2bavjmgvdgeapn5iplezwlyx6dz3f6rrggf3u4jca", 8, validity, TimeSpan.FromMinutes(1))),
            ["expired"] = Convert.ToBase64String(IpnsRecord.Create(key, "/ipfs/bafyreicygectcrmwz2bavjmgvdgeapn5iplezwlyx6dz3f6rrggf3u4jca", 9, DateTimeOffset.UtcNow.AddDays(-1), TimeSpan.FromMinutes(1))),
        };
        string input = Path.Combine(folder.Path, "records.json");
        string theirs = Path.Combine(folder.Path, "theirs.json");
        await File.WriteAllTextAsync(input, JsonSerializer.Serialize(new { name = key.Name.ToString(), routing_key = Convert.ToBase64String(key.Name.RoutingKey()), records }));
        var result = await NodeInteropRunner.RunTestAsync(
            "test/ipns-records.test.mjs", NodeInteropRunner.FixturesDirectory("ipns"), TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["ARROWCID_IPNS_RECORDS"] = input, ["ARROWCID_IPNS_THEIRS"] = theirs });
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(2, result.Passed);

        // A record the package made with its own key: our verification reads it.
        using var made = JsonDocument.Parse(await File.ReadAllTextAsync(theirs));
        var name = IpnsName.Parse(made.RootElement.GetProperty("name").GetString()!);
        var data = IpnsRecord.Verify(Convert.FromBase64String(made.RootElement.GetProperty("record").GetString()!), name, DateTimeOffset.UtcNow);
        Assert.Equal(("/ipfs/bafyreicygectcrmwz2bavjmgvdgeapn5iplezwlyx6dz3f6rrggf3u4jca", 42UL), (data.Value, data.Sequence));
        var theirsTampered = IpnsEntry.Parser.ParseFrom(Convert.FromBase64String(made.RootElement.GetProperty("record").GetString()!));
        theirsTampered.Value = ByteString.CopyFromUtf8("/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
        Fault(IpnsRecordFault.Malformed, theirsTampered.ToByteArray(), name, DateTimeOffset.UtcNow);
    }

    private static void Fault(IpnsRecordFault fault, byte[] record, IpnsName name, DateTimeOffset now)
    {
        var error = Assert.Throws<IpnsRecordException>(() => IpnsRecord.Verify(record, name, now));
        Assert.True(fault == error.Fault, $"{error.Fault}: {error.Message}");
    }
}
