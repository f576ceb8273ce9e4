using ArrowCid.SharedMemory.Notifications;

namespace ArrowCid.SharedMemory.Tests;

public sealed class NotificationTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Subscribers_see_every_publish_in_order_and_resume_from_a_cursor_without_duplicates()
    {
        using var store = _temp.Open();
        var cids = Enumerable.Range(0, 10).Select(i => store.Publish(Batches.Make(i)).Cid).ToList();

        var first = store.Subscribe();
        var seen = new List<ShmNotice>();
        for (int i = 0; i < 4; i++)
        {
            seen.Add(first.Next(TimeSpan.FromSeconds(5))!);
        }

        var resumed = store.Subscribe(first.Cursor);
        while (resumed.TryNext(out var notice))
        {
            seen.Add(notice!);
        }

        Assert.Equal(cids, seen.Select(n => n.Cid));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), seen.Select(n => n.Sequence));
        Assert.False(resumed.TryNext(out _));
    }

    [Fact]
    public async Task A_sleeping_subscriber_is_woken_by_a_publish_from_another_store_handle()
    {
        using var producer = _temp.Open();
        using var consumer = _temp.Open();
        var subscription = consumer.Subscribe(consumer.PublishedSequence);
        var waiting = Task.Run(() => subscription.Next(TimeSpan.FromMinutes(1)));

        // The gate: the subscriber has counted itself among the sleepers (past its spin and its last
        // look), so what reaches it now is the publish's wake, not a look that found the notice.
        Assert.True(SpinWait.SpinUntil(() => producer.SleepingSubscribers > 0 || waiting.IsCompleted, TimeSpan.FromMinutes(1)));
        Assert.False(waiting.IsCompleted, "the subscriber returned without a publish");
        var cid = producer.Publish(Batches.Make(7)).Cid;

        var notice = await waiting.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(cid, notice!.Cid);
    }

    [Fact]
    public void A_tag_filter_delivers_only_matching_notices_and_tags_round_trip()
    {
        using var store = _temp.Open();
        store.Publish(Batches.Make(0), Batches.Tags("topic=a", "n=0"));
        var b = store.Publish(Batches.Make(1), Batches.Tags("topic=b", "n=1")).Cid;
        store.Publish(Batches.Make(2), Batches.Tags("topic=a"));

        var subscription = store.Subscribe(0, Batches.Tags("topic=b"));
        Assert.True(subscription.TryNext(out var notice));
        Assert.Equal(b, notice!.Cid);
        Assert.Equal("1", notice.Tags["n"]);
        Assert.False(subscription.TryNext(out _));
        Assert.Equal(3, subscription.Cursor);
    }

    [Fact]
    public void Notices_with_the_same_tags_share_one_read_only_set_and_different_tags_are_decoded_afresh()
    {
        // The reader keeps the last decoded tags: a notice must never get its predecessor's tags
        // when its own differ, and a shared set must not be changeable through one notice.
        using var store = _temp.Open();
        store.Publish(Batches.Make(0), Batches.Tags("topic=a"));
        store.Publish(Batches.Make(1), Batches.Tags("topic=a"));
        store.Publish(Batches.Make(2), Batches.Tags("topic=b", "n=2"));
        store.Publish(Batches.Make(3));
        store.Publish(Batches.Make(4), Batches.Tags("topic=a"));

        var subscription = store.Subscribe();
        var notices = new List<ShmNotice>();
        while (subscription.TryNext(out var notice))
        {
            notices.Add(notice!);
        }

        Assert.Equal(["topic=a", "topic=a", "n=2,topic=b", "", "topic=a"], notices.Select(n => string.Join(',', n.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))));
        Assert.Same(notices[0].Tags, notices[1].Tags);
        var asDictionary = Assert.IsAssignableFrom<IDictionary<string, string>>(notices[0].Tags);
        Assert.Throws<NotSupportedException>(() => asDictionary["topic"] = "changed");
        Assert.Equal("a", notices[4].Tags["topic"]);
    }

    [Fact]
    public void Next_returns_null_after_its_timeout_and_honours_cancellation()
    {
        using var store = _temp.Open();
        var subscription = store.Subscribe();
        Assert.Null(subscription.Next(TimeSpan.FromMilliseconds(20)));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => subscription.Next(TimeSpan.FromMinutes(1), cancel.Token));
    }

    [Fact]
    public void Tags_that_do_not_fit_a_record_are_refused_before_anything_is_written()
    {
        using var store = _temp.Open();
        var huge = Batches.Tags("k=" + new string('x', 200));
        Assert.Throws<ArgumentException>(() => store.Publish(Batches.Make(0), huge));
        Assert.Throws<ArgumentException>(() => store.Publish(Batches.Make(0), Batches.Tags("a\nb=c")));
        Assert.Empty(store.List());
    }

    [Fact]
    public void Tags_are_counted_in_utf8_bytes_up_to_the_record_and_read_back_as_written()
    {
        // "k=" + value + "\n" in UTF-8: 70 two-byte letters make 143 bytes, which fit the 144 a
        // record carries; 71 make 145, which do not.
        using var store = _temp.Open();
        string fits = new('é', 70);
        Assert.Throws<ArgumentException>(() => store.Publish(Batches.Make(1), Batches.Tags("k=" + new string('é', 71))));
        Assert.Throws<ArgumentException>(() => store.Publish(Batches.Make(1), Batches.Tags("=empty")));
        store.Publish(Batches.Make(0), Batches.Tags("k=" + fits));
        store.Publish(Batches.Make(1), Batches.Tags("ünïcode=ok", "a=first", "z=last"));

        var subscription = store.Subscribe();
        Assert.True(subscription.TryNext(out var first));
        Assert.Equal(fits, first!.Tags["k"]);
        Assert.True(subscription.TryNext(out var second));
        Assert.Equal(["a=first", "z=last", "ünïcode=ok"], second!.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
        Assert.False(subscription.TryNext(out _));
    }

    [Theory]
    [InlineData("crc32c")]
    [InlineData("fnv1a")]
    public void A_record_sealed_with_the_documented_checksum_or_the_earlier_one_is_read(string checksum)
    {
        using var store = _temp.Open();
        var published = store.Publish(Batches.Make(3), Batches.Tags("topic=t"));
        string feed = Path.Combine(store.Directory, "feed.log");
        byte[] bytes = File.ReadAllBytes(feed);
        var covered = bytes.AsSpan(0, 252);
        uint seal = checksum == "crc32c" ? BitwiseCrc32C(covered) : Fnv1A(covered);
        Assert.Equal(checksum == "crc32c", seal == System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(252)));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(252), seal);
        File.WriteAllBytes(feed, bytes);

        Assert.True(store.Subscribe().TryNext(out var notice));
        Assert.Equal(published.Cid, notice!.Cid);
        Assert.Equal("t", notice.Tags["topic"]);
    }

    // CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) one bit at a time, as its definition reads.
    private static uint BitwiseCrc32C(ReadOnlySpan<byte> bytes)
    {
        uint crc = uint.MaxValue;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }

    private static uint Fnv1A(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }

    [Fact]
    public void A_damaged_feed_record_is_a_typed_error()
    {
        using var store = _temp.Open();
        store.Publish(Batches.Make(0));
        string feed = Path.Combine(store.Directory, "feed.log");
        byte[] bytes = File.ReadAllBytes(feed);
        bytes[50] ^= 1;
        File.WriteAllBytes(feed, bytes);

        Assert.Throws<ShmFeedCorruptedException>(() => store.Subscribe().TryNext(out _));
    }

    [Fact]
    public void Records_past_the_mapped_part_of_the_log_are_written_and_read_with_pwrite_and_pread()
    {
        // A feed whose mapping covers only 3 records: the 4th and later take the unmapped path,
        // and a second feed over the same files reads both kinds.
        string folder = Path.Combine(_temp.BaseDirectory, "feed");
        Directory.CreateDirectory(folder);
        string control = Path.Combine(folder, "control");
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var cids = Enumerable.Range(0, 6).Select(i => Content.Canonical.CanonicalEncoder.ComputeCid(Batches.Make(i))).ToList();
        // Each feed owns (and disposes) its own mapping of the control block.
        using (var writer = new ShmFeed(Path.Combine(folder, "feed.log"), ShmControlBlock.OpenOrCreate(control, mode), 0b110_000_000, mappedRecords: 3))
        {
            for (int i = 0; i < cids.Count; i++)
            {
                Assert.Equal(i + 1, writer.Append(cids[i], 100 + i, i, []));
            }
        }

        Assert.Equal(6 * FeedRecord.Size, new FileInfo(Path.Combine(folder, "feed.log")).Length);
        using var reader = new ShmFeed(Path.Combine(folder, "feed.log"), ShmControlBlock.OpenOrCreate(control, mode), 0b110_000_000);
        for (int i = 0; i < cids.Count; i++)
        {
            var notice = reader.Read(i + 1);
            Assert.Equal(cids[i], notice.Cid);
            Assert.Equal(100 + i, notice.Bytes);
        }
    }

    [Fact]
    public void A_feed_grows_a_reserved_chunk_at_a_time_and_every_record_reads_back()
    {
        // Two chunk boundaries (4,096 records of 256 bytes per MiB) crossed: each new chunk is
        // reserved (and mapped) from the old end, and records on both sides read back.
        string folder = Path.Combine(_temp.BaseDirectory, "grown");
        Directory.CreateDirectory(folder);
        string control = Path.Combine(folder, "control");
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var cid = Content.Canonical.CanonicalEncoder.ComputeCid(Batches.Make(1));
        const int records = (2 * 4096) + 10;
        using var feed = new ShmFeed(Path.Combine(folder, "feed.log"), ShmControlBlock.OpenOrCreate(control, mode), 0b110_000_000);
        for (int i = 1; i <= records; i++)
        {
            Assert.Equal(i, feed.Append(cid, i, i, []));
        }

        Assert.Equal(3L << 20, feed.Control.FeedReservedBytes);
        Assert.Equal(3L << 20, new FileInfo(Path.Combine(folder, "feed.log")).Length);
        foreach (int sequence in new[] { 1, 4096, 4097, 8192, 8193, records })
        {
            Assert.Equal(sequence, feed.Read(sequence).Bytes);
        }
    }

    [Fact]
    public void A_subscription_used_after_its_store_is_disposed_fails_with_a_typed_error()
    {
        var store = _temp.Open();
        store.Publish(Batches.Make(1));
        var subscription = store.Subscribe();
        store.Dispose();

        // The feed's mapping is gone: reading through it must be an exception, not a crash.
        Assert.ThrowsAny<ObjectDisposedException>(() => subscription.TryNext(out _));
    }

    [Fact]
    public async Task A_writer_that_dies_holding_the_writer_lock_does_not_leave_it_locked()
    {
        string folder = Path.Combine(_temp.BaseDirectory, "dead-writer");
        Directory.CreateDirectory(folder);
        using var feed = new ShmFeed(Path.Combine(folder, "feed.log"), ShmControlBlock.OpenOrCreate(Path.Combine(folder, "control"), UnixFileMode.UserRead | UnixFileMode.UserWrite), 0b110_000_000);
        Assert.True(feed.Control.HasWriterMutex);

        // A thread takes the lock and ends without releasing it (as a killed process would): the
        // robust mutex passes it on, marked, and the next writer goes on.
        var holder = new Thread(() => feed.EnterWriter());
        holder.Start();
        holder.Join();
        var cid = Content.Canonical.CanonicalEncoder.ComputeCid(Batches.Make(1));
        // The limit only keeps a broken lock from hanging the run; it is not a timing assertion.
        long sequence = await Task.Run(() => feed.Append(cid, 1, 1, [])).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, sequence);
    }
}
