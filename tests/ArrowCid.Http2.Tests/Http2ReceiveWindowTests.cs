using ArrowCid.Http2;

namespace ArrowCid.Http2.Tests;

/// <summary>
/// The receive windows on their own: credit taken by DATA and given back by consumption, the
/// half-window threshold for WINDOW_UPDATE, overruns as FLOW_CONTROL_ERROR (connection or stream),
/// a stream's octets counted for its connection, and octets dropped unread going back to the windows.
/// </summary>
public sealed class Http2ReceiveWindowTests
{
    /// <summary>The WINDOW_UPDATE frames a window asked for, in order (stream id, increment).</summary>
    private sealed class Updates
    {
        public List<(int StreamId, int Increment)> Sent { get; } = [];

        public void Send(int streamId, int increment) => Sent.Add((streamId, increment));
    }

    [Fact]
    public void Data_takes_credit_and_consumption_gives_it_back_once_half_the_window_waits()
    {
        var updates = new Updates();
        var window = new Http2ReceiveWindow(100, updates.Send);
        Assert.Equal(0, window.StreamId);
        Assert.Equal(100, window.Available);

        Assert.True(window.TryReceive(30));
        Assert.Equal(70, window.Available);
        window.Consume(30);
        Assert.Empty(updates.Sent);
        Assert.Equal(30, window.Pending);

        Assert.True(window.TryReceive(30));
        window.Consume(20);
        Assert.Equal([(0, 50)], updates.Sent);
        Assert.Equal(0, window.Pending);
        Assert.Equal(90, window.Available);

        window.Consume(10);
        Assert.Equal(100, window.Available + window.Pending);
    }

    [Theory]
    [InlineData(65_535, 32_767)]
    [InlineData(16 * 1024 * 1024, 8 * 1024 * 1024)]
    [InlineData(1, 1)]
    public void The_update_goes_out_when_half_the_window_rounded_down_is_waiting(int size, int threshold)
    {
        var updates = new Updates();
        var window = new Http2ReceiveWindow(size, updates.Send);
        Assert.True(window.TryReceive(threshold));
        window.Consume(threshold - 1);
        Assert.Empty(updates.Sent);
        window.Consume(1);
        Assert.Equal([(0, threshold)], updates.Sent);
        Assert.Equal(size, window.Available);
    }

    [Fact]
    public void A_frame_larger_than_the_credit_left_is_refused_and_takes_nothing()
    {
        var window = new Http2ReceiveWindow(100, (_, _) => { });
        Assert.True(window.TryReceive(60));
        Assert.False(window.TryReceive(41));
        Assert.Equal(40, window.Available);
        Assert.True(window.TryReceive(40));
        Assert.Equal(0, window.Available);
        Assert.False(window.TryReceive(1));
        Assert.True(window.TryReceive(0));
    }

    [Fact]
    public void An_overrun_of_the_connection_window_is_a_connection_flow_control_error()
    {
        var window = new Http2ReceiveWindow(65_535, (_, _) => { });
        Assert.True(window.TryReceive(65_000));
        Assert.False(window.TryReceive(1000));
        var error = Assert.IsType<Http2ConnectionException>(window.Overrun(1000));
        Assert.Equal(Http2ErrorCode.FlowControlError, error.ErrorCode);
        Assert.Contains("535", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_overrun_of_a_stream_window_is_a_stream_flow_control_error_and_the_connection_keeps_its_credit()
    {
        var connection = new Http2ReceiveWindow(65_535, (_, _) => { });
        var stream = new Http2ReceiveWindow(7, 100, connection);
        Assert.False(stream.TryReceive(101));
        var error = Assert.IsType<Http2StreamException>(stream.Overrun(101));
        Assert.Equal(7, error.StreamId);
        Assert.Equal(Http2ErrorCode.FlowControlError, error.ErrorCode);
        Assert.Equal(100, stream.Available);
        Assert.Equal(65_535, connection.Available);
    }

    [Fact]
    public void A_stream_id_of_zero_or_a_negative_size_is_refused()
    {
        var connection = new Http2ReceiveWindow(65_535, (_, _) => { });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Http2ReceiveWindow(0, 100, connection));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Http2ReceiveWindow(-1, (_, _) => { }));
    }

    [Fact]
    public void What_a_stream_consumes_counts_for_its_connection_each_with_its_own_threshold()
    {
        var updates = new Updates();
        var connection = new Http2ReceiveWindow(1000, updates.Send);
        var stream = new Http2ReceiveWindow(3, 100, connection);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(connection.TryReceive(50));
            Assert.True(stream.TryReceive(50));
            stream.Consume(50);
        }

        // The stream's window is reopened at every 50 octets, the connection's at 500.
        Assert.Equal(10, updates.Sent.Count(u => u == (3, 50)));
        Assert.Equal(1, updates.Sent.Count(u => u == (0, 500)));
        Assert.Equal(100, stream.Available);
        Assert.Equal(1000, connection.Available);
    }

    [Fact]
    public void A_stream_that_stopped_granting_still_gives_its_octets_to_the_connection()
    {
        var updates = new Updates();
        var connection = new Http2ReceiveWindow(100, updates.Send);
        var stream = new Http2ReceiveWindow(5, 100, connection);
        Assert.True(connection.TryReceive(80));
        Assert.True(stream.TryReceive(80));
        stream.StopGranting();
        stream.Consume(80);
        Assert.Equal([(0, 80)], updates.Sent);
        Assert.Equal(20, stream.Available);
        Assert.Equal(100, connection.Available);
    }

    [Fact]
    public void Consuming_nothing_sends_nothing()
    {
        var updates = new Updates();
        var window = new Http2ReceiveWindow(1, updates.Send);
        window.Consume(0);
        Assert.Empty(updates.Sent);
    }

    [Theory]
    [InlineData("discard")]
    [InlineData("reset")]
    [InlineData("after-reset")]
    public async Task Octets_no_reader_takes_go_back_to_both_windows(string how)
    {
        // The body of a stream nobody reads to the end (a handler that returned, a reset, DATA
        // arriving after the reset): its octets must reopen the windows, or a long-lived
        // connection's credit shrinks with every such stream until the peer can send no more.
        var updates = new Updates();
        var connection = new Http2ReceiveWindow(65_535, updates.Send);
        var stream = new Http2ReceiveWindow(1, 64, connection);
        var body = new Http2InboundBody(stream.Consume);
        var reader = new Http2FrameReader(new MemoryStream(new byte[40], writable: false));
        Assert.True(connection.TryReceive(40));
        Assert.True(stream.TryReceive(40));
        switch (how)
        {
            case "discard":
                await body.DeliverAsync(reader, 40, CancellationToken.None);
                body.Discard();
                break;
            case "reset":
                await body.DeliverAsync(reader, 40, CancellationToken.None);
                body.Fail(new Http2StreamException(1, Http2ErrorCode.Cancel, "reset"));
                break;
            case "after-reset":
                body.Fail(new Http2StreamException(1, Http2ErrorCode.Cancel, "reset"));
                await body.DeliverAsync(reader, 40, CancellationToken.None);
                break;
        }

        Assert.Equal(0, body.BufferedBytes);
        Assert.Equal([(1, 40)], updates.Sent);
        Assert.Equal(40, connection.Pending);
        Assert.Equal(64, stream.Available);
        Assert.Equal(65_535, connection.Available + connection.Pending);
    }
}
