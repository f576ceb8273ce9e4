namespace ArrowCid.SharedMemory.Tests;

/// <summary>
/// The samples as a newcomer runs them (README): --help describes them, a bad argument is one line
/// and exit 2 with no stack trace, and the Consumer resumes after the sequence in its cursor file
/// even when --from 0 is given too (the README's command line).
/// </summary>
public sealed class SampleCommandLineTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("Producer")]
    [InlineData("Consumer")]
    public async Task Help_describes_the_options_and_bad_arguments_exit_2_in_one_line(string sample)
    {
        using var help = SampleProcess.Start(sample, "--help");
        Assert.Equal(0, await help.WaitForExitAsync(Limit));
        Assert.Contains(help.Lines, l => l.Contains("--count", StringComparison.Ordinal));

        foreach (string[] bad in new[] { new[] { "--bogus", "1" }, ["--count", "abc"], ["--count", "-3"], ["--tag", "novalue"] })
        {
            using var refused = SampleProcess.Start(sample, bad);
            Assert.Equal(2, await refused.WaitForExitAsync(Limit));
            var errors = refused.Lines.Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 1, string.Join('\n', refused.Lines));
            Assert.DoesNotContain(refused.Lines, l => l.Contains("   at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_consumer_resumes_from_its_cursor_file_even_with_from_0()
    {
        string[] store = ["--shm-dir", _temp.BaseDirectory, "--store", "resume"];
        using (var producer = SampleProcess.Start("Producer", [.. store, "--count", "5", "--interval-ms", "0", "--rows", "10"]))
        {
            Assert.Equal(0, await producer.WaitForExitAsync(Limit));
        }

        string cursor = Path.Combine(_temp.BaseDirectory, "consumer.cursor");
        File.WriteAllText(cursor, "3");
        using var consumer = SampleProcess.Start("Consumer", [.. store, "--from", "0", "--cursor-file", cursor, "--count", "2", "--quiet", "--no-sql"]);
        Assert.Equal(0, await consumer.WaitForExitAsync(Limit));
        Assert.Contains(consumer.Lines, l => l.Contains("after seq 3", StringComparison.Ordinal));
        var handled = consumer.Lines.Where(l => l.StartsWith("seq=", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToList();
        Assert.Equal(["seq=4", "seq=5"], handled);
        Assert.Equal("5", File.ReadAllText(cursor).Trim());
    }
}
