using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3.Model;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.ObjectStorage.Tests;

/// <summary>
/// Blocks on a real object store, Ceph's radosgw started by the tests (issue 66): written once with
/// conditional puts, read back re-hashed, listed, refused when damaged or missing, and every fault
/// a typed error naming the store; the bucket read by an independent client (boto3).
/// </summary>
[Trait("Category", "Peers")]
public sealed class S3BlockTierTests(CephFixture ceph, ITestOutputHelper output) : IClassFixture<CephFixture>
{
    [Fact]
    public async Task Blocks_put_are_read_back_verified_listed_and_a_second_put_is_a_dedup_hit()
    {
        if (Skip())
        {
            return;
        }

        var location = new S3Location(await ceph.NewBucketAsync(), "node-a/");
        using var tier = await S3BlockTier.OpenAsync(location, ceph.Options);
        Assert.True(tier.ConditionalPuts, "radosgw honours If-None-Match: *");

        // An empty block too: read as the range from its first byte, which an empty object lacks (416).
        var blocks = RandomBlocks(12, seed: 1);
        blocks.Add(HashedBlock.Verify(Cid.ForRaw([]), Array.Empty<byte>()));
        foreach (var block in blocks)
        {
            Assert.True(await tier.PutAsync(block));
            Assert.False(await tier.PutAsync(block), "the same block again is a 412: already there");
        }

        foreach (var block in blocks)
        {
            Assert.True(await tier.ExistsAsync(block.Cid));
            var read = await tier.GetAsync(block.Cid);
            Assert.True(read.Bytes.Span.SequenceEqual(block.Bytes.Span));
        }

        var listed = new List<Cid>();
        await foreach (var cid in tier.EnumerateAsync())
        {
            listed.Add(cid);
        }

        Assert.Equal(blocks.Select(b => b.Cid.ToString()).Order(StringComparer.Ordinal), listed.Select(c => c.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Small_blocks_put_as_one_pack_are_read_back_by_range_listed_checked_and_deleted()
    {
        if (Skip())
        {
            return;
        }

        var location = new S3Location(await ceph.NewBucketAsync(), "packed/");
        using var tier = await S3BlockTier.OpenAsync(location, ceph.Options);
        var blocks = BucketPackTests.Blocks(20, seed: 7);
        var entries = await tier.PutPackAsync(blocks);
        Assert.Single(entries.Select(e => e.At.Pack).Distinct());
        Assert.Equal(entries, await tier.PutPackAsync(blocks));

        // Each block by its range, and by the location a record lists (other locations skipped).
        foreach (var (block, entry) in blocks.Zip(entries))
        {
            Assert.True((await tier.GetAsync(block.Cid, entry.At)).Bytes.Span.SequenceEqual(block.Bytes.Span));
            string at = tier.LocationOf(entry.At);
            Assert.StartsWith($"s3://{location.Bucket}/packed/packs/", at, StringComparison.Ordinal);
            Assert.True(tier.TryParsePacked(at, out var parsed));
            Assert.Equal(entry.At, parsed);
            Assert.True((await tier.GetAsync(block.Cid, ["grpc://127.0.0.1:1", at])).Bytes.Span.SequenceEqual(block.Bytes.Span));
        }

        Assert.False(tier.TryParsePacked($"s3://{location.Bucket}/other/packs/{entries[0].At.Pack}#0+1", out _));
        Assert.False(tier.TryParsePacked($"s3://{location.Bucket}/packed/packs/{entries[0].At.Pack}#x+1", out _));
        Assert.False(tier.TryParsePacked(location.ToString(), out _));

        // A pack is not a block object; it is listed as a pack, its index read from its tail.
        await foreach (var _ in tier.EnumerateObjectsAsync())
        {
            Assert.Fail("a pack listed as a block object");
        }

        var packs = new List<StoredPack>();
        await foreach (var pack in tier.EnumeratePacksAsync())
        {
            packs.Add(pack);
        }

        var listed = Assert.Single(packs);
        Assert.Equal(entries, (await tier.ReadPackTailAsync(listed)).Entries);
        var check = await tier.CheckPackAsync(listed);
        Assert.Null(check.Damage);
        Assert.Empty(check.Corrupt);

        // A block at the wrong place in the pack does not hash: a typed error naming it, never bad data.
        var wrong = entries[1].At with { Offset = entries[0].At.Offset };
        var error = await Assert.ThrowsAsync<BlockCorruptedException>(() => tier.GetAsync(blocks[1].Cid, wrong));
        Assert.Contains(blocks[1].Cid.ToString(), error.Message, StringComparison.Ordinal);

        // Overwritten behind the tier's back: its bytes no longer match its id, and the block written over is corrupt.
        byte[] damaged = BucketPack.Build(blocks).Bytes;
        damaged[(int)entries[2].At.Offset] ^= 0xff;
        using (var raw = ceph.Options.CreateClient(out _))
        {
            await raw.PutObjectAsync(new PutObjectRequest { BucketName = location.Bucket, Key = tier.PackKeyOf(listed.Id), InputStream = new MemoryStream(damaged), UseChunkEncoding = false });
        }

        check = await tier.CheckPackAsync(listed with { Bytes = damaged.Length });
        Assert.NotNull(check.Damage);
        Assert.Equal([blocks[2].Cid], check.Corrupt);
        await Assert.ThrowsAsync<BlockCorruptedException>(() => tier.GetAsync(blocks[2].Cid, entries[2].At));

        // Deleted: not found by its range, nor as an object of its own.
        await tier.DeletePackAsync(listed.Id);
        await Assert.ThrowsAsync<BlockNotFoundException>(() => tier.GetAsync(blocks[0].Cid, entries[0].At));
        var missing = await Assert.ThrowsAsync<BlockNotFoundException>(() => tier.GetAsync(blocks[0].Cid, [tier.LocationOf(entries[0].At)]));
        Assert.Contains(blocks[0].Cid.ToString(), missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<BlockNotFoundException>(() => tier.ReadPackTailAsync(listed));
    }

    [Fact]
    public async Task Without_conditional_puts_a_block_already_there_is_found_by_its_head_and_not_written_again()
    {
        if (Skip())
        {
            return;
        }

        var location = new S3Location(await ceph.NewBucketAsync(), string.Empty);
        using var tier = await S3BlockTier.OpenAsync(location, ceph.Options);
        var block = RandomBlocks(1, seed: 2)[0];
        Assert.True(await tier.PutAsync(block));
        tier.ConditionalPutsForTests(false);
        Assert.False(await tier.PutAsync(block));
        Assert.True(await tier.PutAsync(RandomBlocks(1, seed: 3)[0]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_block_read_from_disk_is_uploaded_under_its_CID_digest_and_bytes_that_do_not_hash_to_it_are_never_stored(bool serverChecks)
    {
        if (Skip())
        {
            return;
        }

        var location = new S3Location(await ceph.NewBucketAsync(), "stored/");
        using var tier = await S3BlockTier.OpenAsync(location, ceph.Options);
        Assert.True(tier.PayloadDigests, "radosgw refuses a payload that does not hash to its signed SHA-256");
        tier.PayloadDigestsForTests(serverChecks);

        // Signed with the CID's digest (or hashed here): taken, read back whole, and a second put is a dedup hit.
        var blocks = RandomBlocks(3, seed: 11);
        Assert.True(await tier.PutStoredAsync(blocks[0].Cid, blocks[0].Bytes));
        Assert.False(await tier.PutStoredAsync(blocks[0].Cid, blocks[0].Bytes));
        Assert.True((await tier.GetAsync(blocks[0].Cid)).Bytes.Span.SequenceEqual(blocks[0].Bytes.Span));

        // A copy damaged on disk since it was stored: with the server checking, it is the server that
        // refuses it (the SDK, signing the bytes it sends, would have let them through).
        byte[] damaged = blocks[1].Bytes.ToArray();
        damaged[damaged.Length / 3] ^= 0x01;
        var refused = await Assert.ThrowsAsync<BlockCorruptedException>(() => tier.PutStoredAsync(blocks[1].Cid, damaged));
        Assert.Contains(blocks[1].Cid.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.False(await tier.ExistsAsync(blocks[1].Cid));

        // Another block's bytes under this CID: refused the same way.
        await Assert.ThrowsAsync<BlockCorruptedException>(() => tier.PutStoredAsync(blocks[1].Cid, blocks[2].Bytes));
        Assert.False(await tier.ExistsAsync(blocks[1].Cid));
    }

    [Fact]
    public async Task A_damaged_object_is_refused_naming_its_block_and_a_missing_one_is_not_found()
    {
        if (Skip())
        {
            return;
        }

        var location = new S3Location(await ceph.NewBucketAsync(), "p/");
        using var tier = await S3BlockTier.OpenAsync(location, ceph.Options);
        var blocks = RandomBlocks(2, seed: 4);
        await tier.PutAsync(blocks[0]);

        // Behind the tier's back: one bit of the object flipped.
        using (var raw = ceph.RawClient())
        {
            byte[] other = blocks[0].Bytes.ToArray();
            other[other.Length / 2] ^= 0x10;
            await raw.PutObjectAsync(new PutObjectRequest { BucketName = location.Bucket, Key = tier.KeyOf(blocks[0].Cid), InputStream = new MemoryStream(other), UseChunkEncoding = false });
        }

        var damaged = await Assert.ThrowsAsync<BlockCorruptedException>(() => tier.GetAsync(blocks[0].Cid));
        Assert.Contains(blocks[0].Cid.ToString(), damaged.Message, StringComparison.Ordinal);
        Assert.Contains(location.ToString(), damaged.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<BlockNotFoundException>(() => tier.GetAsync(blocks[1].Cid));
        Assert.Contains(blocks[1].Cid.ToString(), missing.Message, StringComparison.Ordinal);
        Assert.False(await tier.ExistsAsync(blocks[1].Cid));
    }

    [Fact]
    public async Task A_missing_bucket_and_refused_credentials_are_said_at_open_without_the_secret()
    {
        if (Skip())
        {
            return;
        }

        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => S3BlockTier.OpenAsync(new S3Location("no-such-bucket-here", string.Empty), ceph.Options));
        Assert.Equal(ObjectStoreFault.NoSuchBucket, missing.Fault);
        Assert.Contains("no-such-bucket-here", missing.Message, StringComparison.Ordinal);

        string bucket = await ceph.NewBucketAsync();
        const string WrongSecret = "wrong-secret-0123456789";
        var denied = await Assert.ThrowsAsync<ObjectStoreException>(() => S3BlockTier.OpenAsync(
            new S3Location(bucket, string.Empty),
            ceph.Options with { Credentials = new BasicAWSCredentials(ceph.Cluster.AccessKey, WrongSecret) }));
        Assert.Equal(ObjectStoreFault.AccessDenied, denied.Fault);
        Assert.DoesNotContain(WrongSecret, denied.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(ceph.Cluster.SecretKey, denied.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prefix_holding_objects_the_tier_did_not_write_is_refused_at_open_naming_them()
    {
        if (Skip())
        {
            return;
        }

        string bucket = await ceph.NewBucketAsync();
        using (var raw = ceph.RawClient())
        {
            await raw.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "reports/2026.csv", ContentBody = "a,b", UseChunkEncoding = false });
        }

        var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => S3BlockTier.OpenAsync(new S3Location(bucket, string.Empty), ceph.Options));
        Assert.Equal(ObjectStoreFault.Refused, refused.Fault);
        Assert.Contains("reports/", refused.Message, StringComparison.Ordinal);
        Assert.Contains("a prefix of their own", refused.Message, StringComparison.Ordinal);

        // A prefix of its own beside them is fine, and opening it again finds only its own folders.
        using (await S3BlockTier.OpenAsync(new S3Location(bucket, "arrowcid/"), ceph.Options))
        {
        }

        using var again = await S3BlockTier.OpenAsync(new S3Location(bucket, "arrowcid/"), ceph.Options);
        await again.PutAsync(RandomBlocks(1, seed: 6)[0]);
        using var third = await S3BlockTier.OpenAsync(new S3Location(bucket, "arrowcid/"), ceph.Options);
    }

    [Fact]
    public async Task An_independent_client_lists_the_bucket_and_every_object_hashes_to_its_CID()
    {
        if (Skip())
        {
            return;
        }

        string? python = PythonWithBoto3();
        if (python is null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail("python3 with boto3 (python3-boto3) not found"));
            return;
        }

        var location = new S3Location(await ceph.NewBucketAsync(), "ns/");
        using var tier = await S3BlockTier.OpenAsync(location, ceph.Options);
        var blocks = RandomBlocks(5, seed: 5);
        foreach (var block in blocks)
        {
            await tier.PutAsync(block);
        }

        var small = BucketPackTests.Blocks(6, seed: 8);
        var packed = await tier.PutPackAsync(small);

        // boto3 lists the prefix and prints each key with the SHA-256 of its bytes; for a pack, read
        // by the layout docs/object-storage.md gives, each block's key#offset and its SHA-256.
        const string Script = """
            import hashlib, os, struct, sys, boto3
            from botocore.config import Config
            s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], aws_access_key_id=os.environ["KEY"],
                              aws_secret_access_key=os.environ["SECRET"], region_name="us-east-1",
                              config=Config(s3={"addressing_style": "path"}))
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[1], Prefix=sys.argv[2]):
                for item in page.get("Contents", []):
                    body = s3.get_object(Bucket=sys.argv[1], Key=item["Key"])["Body"].read()
                    if "/packs/" not in item["Key"]:
                        print(item["Key"], hashlib.sha256(body).hexdigest())
                        continue
                    assert hashlib.sha256(body).hexdigest() == item["Key"].rsplit("/", 1)[1]
                    count, length, journal, _, magic = struct.unpack("<IIIII", body[-20:])
                    assert magic == 0x50424341
                    index, at = body[-20 - journal - length:-20 - journal], 0
                    for _ in range(count):
                        (cid_length,) = struct.unpack_from("<H", index, at)
                        cid = index[at + 2:at + 2 + cid_length]
                        offset, size = struct.unpack_from("<qi", index, at + 2 + cid_length)
                        at += 14 + cid_length
                        assert cid[-32:] == hashlib.sha256(body[offset:offset + size]).digest()
                        print(f"{item['Key']}#{offset}", hashlib.sha256(body[offset:offset + size]).hexdigest())
            """;
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(location.Bucket);
        start.ArgumentList.Add(location.Prefix);
        start.Environment["ENDPOINT"] = ceph.Cluster.Endpoint.ToString();
        start.Environment["KEY"] = ceph.Cluster.AccessKey;
        start.Environment["SECRET"] = ceph.Cluster.SecretKey;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string listed = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);

        var expected = blocks.ToDictionary(b => tier.KeyOf(b.Cid), b => Convert.ToHexStringLower(b.Cid.Hash.Digest));
        foreach (var (block, entry) in small.Zip(packed))
        {
            expected[$"{tier.PackKeyOf(entry.At.Pack)}#{entry.At.Offset}"] = Convert.ToHexStringLower(block.Cid.Hash.Digest);
        }

        var seen = listed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), seen.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_store_that_accepts_and_never_answers_fails_as_unavailable_at_its_deadline_naming_the_store()
    {
        // No Ceph needed: a listener that takes the connection and says nothing, as a store whose OSD was killed.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                held.Add(await silent.AcceptSocketAsync());
            }
        });
        var endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
        var options = new S3BlockTierOptions
        {
            Endpoint = endpoint,
            Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
            RequestDeadline = TimeSpan.FromSeconds(1),
            Retries = 0,
        };

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => S3BlockTier.OpenAsync(new S3Location("silent-bucket", "x/"), options));
        Assert.Equal(ObjectStoreFault.Unavailable, error.Fault);
        Assert.Contains("s3://silent-bucket/x/", error.Message, StringComparison.Ordinal);
        Assert.Contains(endpoint.ToString(), error.Message, StringComparison.Ordinal);
        held.ForEach(s => s.Dispose());
    }

    private bool Skip()
    {
        if (ceph.Skipped is { } why)
        {
            output.WriteLine(why);
            return true;
        }

        return false;
    }

    // Blocks of up to 200 KB: most larger than a pack takes, as a table's chunks are.
    private static List<HashedBlock> RandomBlocks(int count, int seed) => BucketPackTests.Blocks(count, seed, maxBytes: 200_000);

    private static string? PythonWithBoto3()
    {
        // Debian's interpreter (python3-boto3), not one a version manager put first on PATH.
        foreach (string python in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var probe = Process.Start(new ProcessStartInfo(python, ["-c", "import boto3"]) { RedirectStandardError = true, UseShellExecute = false });
                probe?.WaitForExit();
                if (probe?.ExitCode == 0)
                {
                    return python;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }

        return null;
    }
}
