using System.Net;
using System.Net.Sockets;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// <c>arrowcid flight</c> never waits for ever (issue 34): against a node that accepts the
/// connection and then says nothing, each call ends with DEADLINE_EXCEEDED naming what it waited for.
/// </summary>
public sealed class FlightTimeoutCommandTests : IDisposable
{
    private const string Primitive = "1.0.0-littleendian/generated_primitive";
    private const string SomeCid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly Task _accepting;

    public FlightTimeoutCommandTests()
    {
        _silent.Start();
        _accepting = AcceptForeverAsync();
    }

    private string Server => $"grpc+tcp://127.0.0.1:{((IPEndPoint)_silent.LocalEndpoint).Port}";

    public void Dispose()
    {
        _silent.Stop();
        _silent.Dispose();
        lock (_accepted)
        {
            _accepted.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Get_from_a_silent_node_ends_after_the_idle_timeout_saying_what_it_waited_for()
    {
        CliResult result = CliRun.Run("flight", "get", "--server", Server, "--idle-timeout", "300ms", SomeCid, "-o", "-");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("DeadlineExceeded", result.Error, StringComparison.Ordinal);
        Assert.Contains("waiting for the server's response headers", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Put_to_a_silent_node_ends_after_the_deadline_when_the_idle_timeout_is_off()
    {
        CliResult result = CliRun.Run("flight", "put", "--server", Server, "--timeout", "0.5s", "--idle-timeout", "0", Golden.Stream(Primitive));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("DeadlineExceeded", result.Error, StringComparison.Ordinal);
        Assert.Contains("deadline of 0.5 s passed while waiting for", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duration_that_is_not_one_is_refused()
    {
        CliResult result = CliRun.Run("flight", "ls", "--server", Server, "--timeout", "soon");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--timeout: 'soon' is not a duration", result.Error, StringComparison.Ordinal);
    }

    private async Task AcceptForeverAsync()
    {
        try
        {
            while (true)
            {
                Socket socket = await _silent.AcceptSocketAsync();
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The listener was stopped.
        }
    }
}
