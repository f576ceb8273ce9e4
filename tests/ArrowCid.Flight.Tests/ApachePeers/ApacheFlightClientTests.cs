using ArrowCid.Flight.Tests.Service;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ApacheFlight = Apache.Arrow.Flight;

namespace ArrowCid.Flight.Tests.ApachePeers;

/// <summary>
/// The standard .NET Flight client (Apache.Arrow.Flight over Grpc.Net.Client: SocketsHttpHandler's
/// HTTP/2, a third client stack beside gRPC C-core and Rust's h2) against a node: it lists flights,
/// resolves a PATH name and reads every endpoint of a chunked table, puts under a PATH name, and runs
/// actions, as a .NET user's program would.
/// </summary>
[Trait("Category", "Peers")]
public sealed class ApacheFlightClientTests : IAsyncLifetime
{
    private FlightNodeFixture? _node;
    private GrpcChannel? _channel;

    private FlightNodeFixture Node => _node!;

    private ApacheFlight.Client.FlightClient Client => new(_channel!);

    public async Task InitializeAsync()
    {
        _node = await FlightNodeFixture.StartAsync(memoryBacked: true);
        _channel = GrpcChannel.ForAddress(Node.Location.Replace("grpc+tcp://", "http://", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        await Node.DisposeAsync();
    }

    private static ApacheBatchInfo Summary(IEnumerable<global::Apache.Arrow.RecordBatch> batches)
    {
        long rows = 0;
        long sum = 0;
        foreach (var batch in batches)
        {
            rows += batch.Length;
            foreach (long? value in (global::Apache.Arrow.Int64Array)batch.Column(0))
            {
                sum += value ?? 0;
            }
        }

        return new ApacheBatchInfo(rows, sum);
    }

    private sealed record ApacheBatchInfo(long Rows, long Sum);

    private static global::Apache.Arrow.RecordBatch Batch(int rows, long first)
    {
        var ids = new global::Apache.Arrow.Int64Array.Builder();
        var labels = new global::Apache.Arrow.StringArray.Builder();
        for (int i = 0; i < rows; i++)
        {
            ids.Append(first + i);
            labels.Append($"label {(first + i) % 997}");
        }

        return new global::Apache.Arrow.RecordBatch.Builder().Append("id", false, ids.Build()).Append("label", true, labels.Build()).Build();
    }

    private async Task<List<global::Apache.Arrow.RecordBatch>> ReadAll(ApacheFlight.FlightInfo info)
    {
        var batches = new List<global::Apache.Arrow.RecordBatch>();
        foreach (var endpoint in info.Endpoints)
        {
            using var call = Client.GetStream(endpoint.Ticket);
            while (await call.ResponseStream.MoveNext())
            {
                batches.Add(call.ResponseStream.Current);
            }
        }

        return batches;
    }

    [Fact]
    public async Task It_puts_under_a_path_name_lists_resolves_and_reads_every_endpoint_of_a_chunked_table()
    {
        // About 256 MiB of rows (16 M rows of an int64 and a short string), sent in batches of 1 MiB
        // or so, as a client under gRPC's default 4 MiB message limit must: a table of many chunks.
        var sent = new List<global::Apache.Arrow.RecordBatch>();
        const int RowsPerBatch = 1 << 16;
        for (int k = 0; k < 256; k++)
        {
            sent.Add(Batch(RowsPerBatch, (long)k * RowsPerBatch));
        }

        var put = await Client.StartPut(ApacheFlight.FlightDescriptor.CreatePathDescriptor("apache", "big"), sent[0].Schema);
        // Acknowledgements are read while the batches go out, as a DoPut client must (a client that
        // only reads them at the end can fill the response's flow-control window).
        var acknowledgements = new List<ApacheFlight.FlightPutResult>();
        var reading = Task.Run(async () =>
        {
            while (await put.ResponseStream.MoveNext())
            {
                acknowledgements.Add(put.ResponseStream.Current);
            }
        });
        foreach (var batch in sent)
        {
            await put.RequestStream.WriteAsync(batch);
        }

        await put.RequestStream.CompleteAsync();
        await reading;

        Assert.NotEmpty(acknowledgements);
        var expected = Summary(sent);

        // ListFlights: the name is there, under its PATH.
        var names = new List<string>();
        using (var listing = Client.ListFlights(new ApacheFlight.FlightCriteria()))
        {
            while (await listing.ResponseStream.MoveNext())
            {
                names.Add(string.Join("/", listing.ResponseStream.Current.Descriptor.Paths));
            }
        }

        Assert.Contains("apache/big", names);

        // GetFlightInfo by the PATH name, then every endpoint (chunk ranges) read with DoGet.
        var info = await Client.GetInfo(ApacheFlight.FlightDescriptor.CreatePathDescriptor("apache", "big"));
        Assert.Equal(expected.Rows, info.TotalRecords);
        Assert.Equal(expected, Summary(await ReadAll(info)));
        Assert.Equal("id", info.Schema.FieldsList[0].Name);

        // The same table by its CID (the acknowledgement's metadata names it), as a PATH [CID].
        string cid = System.Text.Json.JsonDocument.Parse(acknowledgements[^1].ApplicationMetadata.ToByteArray()).RootElement.GetProperty("dataset").GetString()!;
        var byCid = await Client.GetInfo(ApacheFlight.FlightDescriptor.CreatePathDescriptor(cid));
        Assert.Equal(expected.Rows, byCid.TotalRecords);

        foreach (var batch in sent)
        {
            batch.Dispose();
        }
    }

    [Fact]
    public async Task A_put_that_reads_no_acknowledgement_until_it_has_sent_everything_completes()
    {
        // Thousands of batches, their acknowledgements unread until the end: more requests than the
        // node's stream window takes in (16 MiB) and more results than the client's response window
        // holds (64 KiB), so a node that waited for each result to go out before reading on would
        // wait for the client, which waits for it.
        var sent = Enumerable.Range(0, 6000).Select(k => Batch(512, k * 512L)).ToList();
        var put = await Client.StartPut(ApacheFlight.FlightDescriptor.CreatePathDescriptor("apache", "unread"), sent[0].Schema);
        foreach (var batch in sent)
        {
            await put.RequestStream.WriteAsync(batch);
        }

        await put.RequestStream.CompleteAsync();
        var acknowledgements = new List<System.Text.Json.JsonElement>();
        while (await put.ResponseStream.MoveNext())
        {
            acknowledgements.Add(System.Text.Json.JsonDocument.Parse(put.ResponseStream.Current.ApplicationMetadata.ToByteArray()).RootElement);
        }

        // Every row is acknowledged (results sent while others waited cover several batches), then the table.
        long rows = sent.Sum(b => (long)b.Length);
        Assert.Equal(rows, acknowledgements.SkipLast(1).Sum(a => a.GetProperty("rows").GetInt64()));
        Assert.Equal(rows, acknowledgements[^1].GetProperty("rows").GetInt64());
        var info = await Client.GetInfo(ApacheFlight.FlightDescriptor.CreatePathDescriptor("apache", "unread"));
        Assert.Equal(rows, info.TotalRecords);
        sent.ForEach(b => b.Dispose());
    }

    [Fact]
    public async Task It_handshakes_for_a_token_then_pins_by_DoAction_and_follows_puts_by_DoExchange()
    {
        await using var secured = await FlightNodeFixture.StartAsync(new ArrowCid.Node.NodeOptions
        {
            Access = new ArrowCid.Node.AccessPolicy().AddUser("alice", "wonderland", ArrowCid.Node.AccessRole.Write),
        });
        using var channel = GrpcChannel.ForAddress(secured.Location.Replace("grpc+tcp://", "http://", StringComparison.Ordinal));
        var client = new ApacheFlight.Client.FlightClient(channel);

        // Without a token the node refuses; Handshake with a BasicAuth payload answers with one.
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await client.GetInfo(ApacheFlight.FlightDescriptor.CreatePathDescriptor("x")));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        string token;
        using (var handshake = client.Handshake())
        {
            var basic = new ArrowCid.Flight.Protocol.BasicAuth { Username = "alice", Password = "wonderland" };
            await handshake.RequestStream.WriteAsync(new ApacheFlight.FlightHandshakeRequest(basic.ToByteString()));
            await handshake.RequestStream.CompleteAsync();
            Assert.True(await handshake.ResponseStream.MoveNext());
            token = handshake.ResponseStream.Current.Payload.ToStringUtf8();
        }

        var bearer = new Metadata { { "authorization", $"Bearer {token}" } };

        // DoExchange subscribe: the first message's descriptor is the command. The node confirms with
        // the announcements' schema (the confirmation in its app_metadata), then sends each change as a
        // one-row batch of it.
        using var subscription = client.DoExchange(ApacheFlight.FlightDescriptor.CreateCommandDescriptor("subscribe"), bearer);
        using var small = Batch(100, 7);
        await subscription.RequestStream.SetupStream(small.Schema);
        var schema = await subscription.ResponseStream.Schema;
        Assert.Equal(["sequence", "cid", "change", "kind", "rows"], schema.FieldsList.Select(f => f.Name));
        var confirmed = System.Text.Json.JsonDocument.Parse(Assert.Single(subscription.ResponseStream.ApplicationMetadata).ToByteArray()).RootElement;
        Assert.True(confirmed.GetProperty("subscribed").GetBoolean());

        using var ours = secured.Client(token);
        using var three = TestBatches.Small(3);
        var put = await ours.PutAsync(three.Schema, [three]);

        // DoAction pin, with the token, answers in JSON; without it, UNAUTHENTICATED.
        var pinned = new List<string>();
        using (var pin = client.DoAction(new ApacheFlight.FlightAction("pin", put.Table.ToString()), bearer))
        {
            while (await pin.ResponseStream.MoveNext())
            {
                pinned.Add(pin.ResponseStream.Current.Body.ToStringUtf8());
            }
        }

        Assert.Contains(put.Table.ToString(), Assert.Single(pinned));
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.DoAction(new ApacheFlight.FlightAction("pin", put.Table.ToString()));
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);

        // The put is announced on the subscription, as a row and as app_metadata.
        string? announced = null;
        while (announced is null && await subscription.ResponseStream.MoveNext())
        {
            using var row = subscription.ResponseStream.Current;
            string cid = ((global::Apache.Arrow.StringArray)row.Column("cid")).GetString(0);
            var change = System.Text.Json.JsonDocument.Parse(Assert.Single(subscription.ResponseStream.ApplicationMetadata).ToByteArray()).RootElement;
            Assert.Equal(cid, change.GetProperty("cid").GetString());
            Assert.Equal(change.GetProperty("sequence").GetInt64(), ((global::Apache.Arrow.Int64Array)row.Column("sequence")).GetValue(0));
            announced = cid == put.Table.ToString() ? cid : null;
        }

        Assert.Equal(put.Table.ToString(), announced);
    }

    [Fact]
    public async Task It_reads_a_small_table_and_runs_actions_and_gets_typed_statuses()
    {
        using var ours = Node.Client();
        using var small = TestBatches.Small(9);
        var put = await ours.PutAsync(small.Schema, [small]);

        var info = await Client.GetInfo(ApacheFlight.FlightDescriptor.CreatePathDescriptor(put.Table.ToString()));
        var batches = await ReadAll(info);
        Assert.Equal(small.Length, batches.Sum(b => b.Length));

        var actions = new List<string>();
        using (var call = Client.ListActions())
        {
            while (await call.ResponseStream.MoveNext())
            {
                actions.Add(call.ResponseStream.Current.Type);
            }
        }

        Assert.NotEmpty(actions);

        var missing = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetInfo(ApacheFlight.FlightDescriptor.CreatePathDescriptor("no", "such", "name")));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }
}
