using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Names;
using ArrowCid.Node;
using ArrowCid.Wire;
using Grpc.Core;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid name resolve | upgrade</c>: signed names (docs/names.md). Resolve verifies a name's
/// IPNS record and its chain of version nodes back to version 1 (from the repository, a gateway or
/// a Flight node) and prints the table it names; upgrade links the versions a repository made
/// before chains into theirs.
/// </summary>
internal static class SignedNameCommands
{
    public static Command Create(CliConsole console, RepositoryOption repository)
    {
        var command = new Command("name", "Signed names: resolve and verify /ipns/k51… (or a table name) to the table it names; link a repository's existing versions into signed chains");
        command.Subcommands.Add(Resolve(console, repository));
        command.Subcommands.Add(Upgrade(console, repository));
        return command;
    }

    private static Command Resolve(CliConsole console, RepositoryOption repository)
    {
        var name = new Argument<string>("name") { Description = "An IPNS name (/ipns/k51…, k51… or a peer ID), or a table name whose signer the repository (or --server) knows", HelpName = "NAME" };
        var gateway = new Option<string?>("--gateway") { Description = "Verify what this HTTP gateway serves: the record from /routing/v1/ipns/, the nodes from /ipfs/", HelpName = "URL" };
        var server = new Option<string?>("--server") { Description = "Verify what this Flight node serves: the record in a name's FlightInfo, the nodes by the block action (give the table name)", HelpName = "URL" };
        var token = new Option<string?>("--token") { Description = "Bearer token for --server or --gateway", HelpName = "TOKEN" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("resolve", "Verify a name's IPNS record (signature, validity) and its chain of versions back to version 1, and print the table it names; exit 1 naming what failed") { name, gateway, server, token, json };
        command.SetAction(parse =>
        {
            string text = parse.GetRequiredValue(name);
            string? gatewayUrl = parse.GetValue(gateway);
            string? serverUrl = parse.GetValue(server);
            if (gatewayUrl is not null && serverUrl is not null)
            {
                throw new CliUsageException("give --gateway or --server, not both");
            }

            var (resolved, source) = gatewayUrl is not null ? FromGateway(gatewayUrl, text, parse.GetValue(token))
                : serverUrl is not null ? FromServer(serverUrl, text, parse.GetValue(token))
                : FromRepository(repository, parse, text);
            var report = new NameResolution(
                resolved.Name.ToString(),
                resolved.Head.Name,
                resolved.Head.Version,
                resolved.Head.Table.ToString(),
                resolved.HeadCid.ToString(),
                resolved.Record.Validity,
                resolved.Chain.Count,
                source);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(report, WireJsonContext.Default.NameResolution));
                return ExitCodes.Ok;
            }

            console.Out.WriteLine($"/ipns/{report.Ipns} {report.Name}@{report.Version.ToString(CultureInfo.InvariantCulture)} {report.Table}");
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"verified: signature, valid until {report.Validity:yyyy-MM-ddTHH:mm:ssZ}, {report.Versions} versions linked back to version 1 ({report.Source})"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Upgrade(CliConsole console, RepositoryOption repository)
    {
        var command = new Command("upgrade", "Link every version that has no node yet into its name's signed chain and sign each name's record (a repository made before signed names, or a rebuilt registry); run it again and it links nothing");
        command.SetAction(parse =>
        {
            using var folder = repository.OpenNode(parse);
            long linked = folder.Names.LinkAll();
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"linked {linked} versions"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static (SignedName, string) FromRepository(RepositoryOption repository, ParseResult parse, string text)
    {
        using var folder = repository.OpenNode(parse);
        var names = folder.Names;
        var ipns = IpnsName.TryParse(text) ?? names.SignerOf(text)
            ?? throw new CliException($"'{text}' is neither an IPNS name nor a table name with a signed chain here (arrowcid names lists them; arrowcid name upgrade links older ones)");
        return (names.Resolve(ipns), "repository");
    }

    private static (SignedName, string) FromGateway(string url, string text, string? token)
    {
        var ipns = IpnsName.TryParse(text) ?? throw new CliUsageException($"'{text}' is not an IPNS name: a gateway is asked by /ipns/k51…");
        var baseAddress = Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
            ? parsed
            : throw new CliUsageException($"--gateway: '{url}' is not an http(s) URL");
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(1) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            return (GatewayNameResolver.Resolve(http, ipns, DateTimeOffset.UtcNow), url);
        }
        catch (HttpRequestException e)
        {
            // A status names the URL it came from; a connection failure does not.
            throw new CliException(e.StatusCode is null ? $"{url}: {e.Message}" : e.Message, e);
        }
    }

    private static (SignedName, string) FromServer(string url, string text, string? token)
    {
        FlightClient client;
        try
        {
            client = new FlightClient(url, new FlightClientOptions { Token = token });
        }
        catch (FormatException e)
        {
            throw new CliException($"--server: {e.Message}", e);
        }

        using (client)
        {
            try
            {
                return (VerifyOverFlightAsync(client, text).GetAwaiter().GetResult(), url);
            }
            catch (RpcException e)
            {
                throw new CliException($"{url}: {e.StatusCode}: {e.Status.Detail}", e);
            }
        }
    }

    /// <summary>
    /// The record a Flight node gives in the FlightInfo of <paramref name="text"/> (a table name, or
    /// <c>/ipns/k51…</c>), verified with the chain the node serves by the block action back to version 1;
    /// for an IPNS name, the record must be that name's, and the flight the table its head names.
    /// </summary>
    /// <exception cref="NameChainException">What failed.</exception>
    /// <exception cref="CliException">The node gives no record.</exception>
    public static async Task<SignedName> VerifyOverFlightAsync(FlightClient client, string text)
    {
        var asked = text.StartsWith("/ipns/", StringComparison.Ordinal)
            ? IpnsName.TryParse(text) ?? throw new CliUsageException($"'{text}' is not an IPNS name (/ipns/k51…)")
            : null;
        var info = await client.GetInfoAsync(FlightClient.NameDescriptor(asked is null ? text : $"/ipns/{asked}")).ConfigureAwait(false);
        var metadata = JsonSerializer.Deserialize(info.AppMetadata.Span, WireJsonContext.Default.FlightInfoMetadata);
        if (metadata?.Ipns is not { } signer || metadata.IpnsRecord is not { } record || IpnsName.TryParse(signer) is not { } ipns)
        {
            throw new CliException($"{client.Location}: '{text}' has no signed record there");
        }

        if (asked is not null && !asked.Equals(ipns))
        {
            throw new NameChainException(NameChainFault.WrongSigner, $"{client.Location} answered /ipns/{asked} with a record of {ipns}");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(record);
        }
        catch (FormatException e)
        {
            throw new NameChainException(NameChainFault.Malformed, $"the FlightInfo's ipns_record is not base64: {e.Message}", e);
        }

        var signed = SignedName.Verify(ipns, bytes, cid => Block(client, cid), DateTimeOffset.UtcNow);
        return metadata.Cid == signed.Head.Table.ToString()
            ? signed
            : throw new NameChainException(NameChainFault.Broken, $"{client.Location} serves {metadata.Cid} for {text}, but the verified record names {signed.Head.Table}");
    }

    private static byte[]? Block(FlightClient client, Cid cid)
    {
        try
        {
            return client.GetBlockAsync(cid).GetAwaiter().GetResult();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }
}
