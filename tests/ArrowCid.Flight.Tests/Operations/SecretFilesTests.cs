using System.Net;
using System.Net.Http.Headers;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.TestSupport;

namespace ArrowCid.Flight.Tests.Operations;

/// <summary>
/// Tokens and users from files (<c>--token-file</c>, <c>--users-file</c>, here through a
/// <c>--config</c> file), so no secret is on a command line <c>ps</c> shows: the node enforces them.
/// </summary>
public sealed class SecretFilesTests
{
    [Fact]
    public async Task Tokens_and_users_from_files_are_enforced_and_absent_from_the_command_line()
    {
        using var folder = new TempDirectory();
        string tokens = Path.Combine(folder.Path, "tokens");
        string users = Path.Combine(folder.Path, "users");
        string config = Path.Combine(folder.Path, "serve.json");
        await File.WriteAllTextAsync(tokens, "# tokens\nfile-reader-token:read\n");
        await File.WriteAllTextAsync(users, "ann:file-password:write\n");
        await File.WriteAllTextAsync(config, $$"""{ "token-file": "{{tokens}}", "users-file": "{{users}}" }""");
        await using var node = await ServeProcess.StartAsync("--config", config);

        string commandLine = (await File.ReadAllTextAsync($"/proc/{node.Id}/cmdline")).Replace('\0', ' ');
        Assert.DoesNotContain("file-reader-token", commandLine, StringComparison.Ordinal);
        Assert.DoesNotContain("file-password", commandLine, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = node.Gateway };
        using (var anonymous = await http.GetAsync("/api/v1/tables"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tables");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "file-reader-token");
        using (var reader = await http.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, reader.StatusCode);
        }

        using var client = new FlightClient(node.Location);
        client.Token = await client.AuthenticateBasicAsync("ann", "file-password");
        Assert.NotEmpty(await client.ListActionsAsync());
    }
}
