using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Hosting;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Tests;

/// <summary><c>flight put</c> and <c>flight get</c> show progress on a terminal, as <c>put</c> does, and print nothing extra when piped.</summary>
public sealed class FlightProgressCommandTests : IDisposable
{
    private const string Primitive = "1.0.0-littleendian/generated_primitive";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static CliResult RunOnTerminal(bool terminal, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var binary = new MemoryStream();
        int exit = Program.Run(args, new CliConsole(output, error, new MemoryStream(), binary) { IsTerminal = terminal });
        return new CliResult(exit, output.ToString(), error.ToString(), binary.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Put_and_get_show_progress_on_a_terminal_only(bool terminal)
    {
        using var served = ContentRepository.Open(_temp.File("served"));
        await using var node = await FlightNode.StartAsync(served);

        CliResult put = RunOnTerminal(terminal, "flight", "put", "--server", node.Location, Golden.File(Primitive));
        Assert.True(put.ExitCode == 0, put.Error);
        string dataset = CliOutput.Lines(put.Out).Single(l => l.StartsWith("table ", StringComparison.Ordinal)).Split(' ')[1];
        string fetched = _temp.File("fetched.arrows");
        CliResult get = RunOnTerminal(terminal, "flight", "get", "--server", node.Location, dataset, "-o", fetched);
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Equal(Cid.Parse(dataset), Cid.ForRaw(File.ReadAllBytes(fetched)));

        // The bar reaches 100% (the description's column may be cut short on an 80-column terminal).
        Assert.True(terminal == put.Error.Contains("100%", StringComparison.Ordinal), put.Error);
        Assert.True(terminal == get.Error.Contains("100%", StringComparison.Ordinal), get.Error);
    }
}
