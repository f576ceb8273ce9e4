using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.Grpc;
using ArrowCid.Http2;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Tests.Registry;

/// <summary>
/// DoGet of a chunked table over a cleartext connection sends each verified chunk's record batch
/// body from its file (sendfile): the messages are those the buffered path and a TLS connection
/// send, byte for byte, and a chunk file damaged on disk is caught (hashed again), never sent.
/// </summary>
public sealed class FlightSendFileTests
{
    [Fact]
    public async Task Cleartext_DoGet_from_files_sends_the_same_FlightData_as_the_buffered_and_TLS_paths()
    {
        using var certificate = TestCertificates.SelfSigned();
        string folder = Directory.CreateTempSubdirectory("arrowcid-flight-sendfile-").FullName;
        try
        {
            using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
            await using var cleartext = await FlightNode.StartAsync(content);
            await using var tls = await FlightNode.StartAsync(content, new FlightNodeOptions { Certificate = certificate });
            using var client = new FlightClient(cleartext.Location);
            using var tlsClient = new FlightClient(tls.Location, new FlightClientOptions
            {
                ServerCertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
            });
            using var batch = TestBatches.Large(6L << 20, seed: 41);
            var put = await client.PutAsync(batch.Schema, [batch]);
            Assert.True(put.Batches.Count > 4, $"{put.Batches.Count} chunks");
            SettleChunkFiles(content, put.Batches.Select(b => b.Cid));

            // The first DoGet hashes every chunk (nothing is verified yet) and sends it from memory.
            long before = Http2FrameWriter.FileRegionBytesSent;
            var buffered = await GetMessagesAsync(client, put.Dataset);
            long bodyBytes = buffered.Where(m => m.Body.Length >= 64 * 1024).Sum(m => (long)m.Body.Length);
            Assert.True(bodyBytes > 0, "no record batch body large enough to go from a file");

            // Now their stamps are known: the bodies go from the files.
            var fromFiles = await GetMessagesAsync(client, put.Dataset);
            Assert.True(Http2FrameWriter.FileRegionBytesSent - before >= bodyBytes, $"{Http2FrameWriter.FileRegionBytesSent - before} bytes went from files, of {bodyBytes}");
            var overTls = await GetMessagesAsync(tlsClient, put.Dataset);

            Assert.Equal(buffered.Count, fromFiles.Count);
            Assert.Equal(buffered.Count, overTls.Count);
            for (int i = 0; i < buffered.Count; i++)
            {
                Assert.Equal(buffered[i].Header, fromFiles[i].Header);
                Assert.Equal(buffered[i].Body, fromFiles[i].Body);
                Assert.Equal(buffered[i].Header, overTls[i].Header);
                Assert.Equal(buffered[i].Body, overTls[i].Body);
            }

            // And the verified fetch reassembles the producer's chunks.
            var fetched = await client.GetAsync(put.Dataset);
            Assert.Equal(put.Batches.Select(c => c.Cid), fetched.Batches.Select(b => b.Cid));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_chunk_file_damaged_after_it_was_verified_is_not_sent_from_its_file()
    {
        await using var node = await FlightNodeFixture.StartAsync();
        using var client = node.Client();
        using var batch = TestBatches.Large(4L << 20, seed: 42);
        var put = await client.PutAsync(batch.Schema, [batch]);
        SettleChunkFiles(node.Content, put.Batches.Select(b => b.Cid));
        await GetMessagesAsync(client, put.Dataset);

        // A byte of the last chunk's record batch body flipped in place (its write time moves on).
        Cid damaged = put.Batches[^1].Cid;
        string path = node.Content.Repository.Blocks.GetBlockPath(damaged);
        long at = new FileInfo(path).Length - 64;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = at;
            int old = file.ReadByte();
            file.Position = at;
            file.WriteByte((byte)(old ^ 0xFF));
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => GetMessagesAsync(client, put.Dataset));
        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.Contains(damaged.ToString(), error.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Moves the chunk files' write times into the past, so the reader remembers their stamps once it has hashed them.</summary>
    private static void SettleChunkFiles(ContentRepository content, IEnumerable<Cid> chunks)
    {
        DateTime settled = DateTime.UtcNow - TimeSpan.FromMinutes(5);
        foreach (var cid in chunks)
        {
            File.SetLastWriteTimeUtc(content.Repository.Blocks.GetBlockPath(cid), settled);
        }
    }

    private static async Task<List<(byte[] Header, byte[] Body)>> GetMessagesAsync(FlightClient client, Cid cid)
    {
        var messages = new List<(byte[] Header, byte[] Body)>();
        await foreach (FlightData data in client.GetRawAsync(cid))
        {
            // A yielded message is valid until the next is asked for: keep copies.
            messages.Add((data.DataHeader.ToByteArray(), data.DataBody.ToByteArray()));
        }

        return messages;
    }
}
