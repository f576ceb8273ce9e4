using System.Net;
using System.Net.Http.Headers;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Support;
using System.Security.Cryptography.X509Certificates;
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

    [Fact]
    public async Task An_encrypted_tls_key_opens_with_the_password_from_its_file()
    {
        using var folder = new TempDirectory();
        using var certificate = TestCertificates.SelfSigned();
        var (certificatePem, _) = TestCertificates.WritePem(certificate, folder.Path);
        string key = Path.Combine(folder.Path, "server.key.enc.pem");
        using (var ecdsa = certificate.GetECDsaPrivateKey()!)
        {
            await File.WriteAllTextAsync(key, ecdsa.ExportEncryptedPkcs8PrivateKeyPem("key-pass-word", new System.Security.Cryptography.PbeParameters(
                System.Security.Cryptography.PbeEncryptionAlgorithm.Aes256Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 10_000)));
        }

        string password = Path.Combine(folder.Path, "key-password");
        await File.WriteAllTextAsync(password, "key-pass-word\n");
        await using var node = await ServeProcess.StartAsync("--tls-cert", certificatePem, "--tls-key", key, "--tls-key-password-file", password);
        Assert.StartsWith("grpc+tls://", node.Location, StringComparison.Ordinal);
        using var client = new FlightClient(node.Location, new FlightClientOptions { ServerCertificateValidation = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString() });
        Assert.NotEmpty(await client.ListActionsAsync());

        // Without the password the key does not open: one line, exit 1, nothing served.
        var (code, said) = await ServeProcess.RunCliAsync("serve", "--listen", "127.0.0.1:0", "--repo", Path.Combine(folder.Path, "repo2"), "--no-shm", "--tls-cert", certificatePem, "--tls-key", key);
        Assert.NotEqual(0, code);
        Assert.Contains("not a usable certificate and key", said, StringComparison.Ordinal);
    }
}
