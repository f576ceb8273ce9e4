using System.CommandLine;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ArrowCid.Flight.Hosting;
using ArrowCid.Gateway;
using ArrowCid.Node;
using ArrowCid.Repository;
using Microsoft.Extensions.Logging;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid serve</c>: an Arrow Flight node over the repository (and this host's shared-memory
/// store when there is one), and its HTTP gateway, until Ctrl+C or SIGTERM. Prints
/// <c>serving LOCATION</c> and <c>gateway http://HOST:PORT</c> once both listen.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliConsole console, RepositoryOption repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to listen on (port 0 picks one)", DefaultValueFactory = _ => "127.0.0.1:8815", HelpName = "HOST:PORT" };
        var tokens = new Option<string[]>("--token") { Description = "A bearer token and its role, TOKEN:read or TOKEN:write (repeatable); with none the node is open", HelpName = "TOKEN:ROLE", Arity = ArgumentArity.ZeroOrMore };
        var users = new Option<string[]>("--user") { Description = "A user for Basic-auth handshakes, USER:PASSWORD:read|write (repeatable)", HelpName = "USER:PASSWORD:ROLE", Arity = ArgumentArity.ZeroOrMore };
        var certificate = new Option<string?>("--tls-cert") { Description = "Serve TLS with this certificate: a PEM file (key in it or in --tls-key) or a PKCS#12 file", HelpName = "FILE" };
        var key = new Option<string?>("--tls-key") { Description = "The PEM private key of --tls-cert", HelpName = "FILE" };
        var advertise = new Option<string?>("--advertise") { Description = "Host name other nodes and clients reach this node by (default: the listen address)", HelpName = "HOST" };
        var noShm = new Option<bool>("--no-shm") { Description = "Do not serve this host's shared-memory store" };
        var http = new Option<string?>("--http") { Description = "HOST:PORT of the HTTP gateway (HTTP/1.1 and HTTP/2; default: the --listen host, port 0 when --listen's is 0, else --listen's port + 1)", HelpName = "HOST:PORT" };
        var cors = new Option<string[]>("--cors") { Description = "An origin whose browser pages may call the HTTP gateway, e.g. https://example.org, or * for any (repeatable)", HelpName = "ORIGIN", Arity = ArgumentArity.ZeroOrMore };
        var strictTrustless = new Option<bool>("--strict-trustless") { Description = "Answer /ipfs/CID requests that name no format (no ?format=, no Accept naming one) with 400 instead of the raw block (strict trustless gateway)" };
        var sharedRegistry = new Option<string?>("--registry") { Description = "A registry shared with other nodes: postgres://user@host:port/database, Host=…;Database=…, or sqlite:PATH (default: the repository's own)", HelpName = "URL" };
        var blocks = new Option<string?>("--blocks") { Description = "Keep every block in S3-compatible object storage too, s3://BUCKET/PREFIX (endpoint, region and credentials from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the shared files; docs/object-storage.md)", HelpName = "URL" };
        var cacheSize = new Option<string?>("--cache-size")
        {
            Description = "With --blocks and --registry: the bytes of block files this node's disk keeps, as a cache of the bucket evicted by heat (e.g. 20GiB; K, M, G, T are powers of 1024); pinned tables stay beyond it (default: keep everything)",
            HelpName = "SIZE",
        };
        cacheSize.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && ParseSize(result.Tokens[0].Value) is null)
            {
                result.AddError($"--cache-size: '{result.Tokens[0].Value}' is not a size: a whole number of bytes, at least 1, or one with K, M, G or T (powers of 1024), e.g. 20GiB");
            }
        });
        var corsWrites = new Option<bool>("--cors-any-origin-writes") { Description = "With --cors '*', let pages of any origin upload too (by default '*' opens reads only)" };
        var allowedHosts = new Option<string[]>("--allowed-host")
        {
            Description = "A Host name the HTTP gateway answers besides its own loopback names when it listens on loopback (repeatable; DNS-rebinding guard, docs/security.md)",
            HelpName = "HOST",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var recordAddresses = new Option<bool>("--record-client-addresses") { Description = "Record the client's address in the producer of what it puts (every reader sees it); off by default" };
        var logFormat = new Option<string>("--log-format") { Description = "How log lines look on stderr: text, or json (one object a line, for a log shipper)", DefaultValueFactory = _ => "text", HelpName = "text|json" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var logLevel = new Option<string>("--log-level")
        {
            Description = "The least severe lines logged: trace, debug, information (one line per request), warning, error, critical or none",
            DefaultValueFactory = _ => "information",
            HelpName = "LEVEL",
        };
        logLevel.AcceptOnlyFromAmong("trace", "debug", "information", "warning", "error", "critical", "none");
        var maxConnections = new Option<int?>("--max-connections")
        {
            Description = $"Connections each face (Flight, HTTP) holds at once; one more is closed as it arrives (default: what the descriptor limit leaves after {ConnectionBudget.Reserve} for everything else, shared by the two)",
            HelpName = "N",
        };
        AtLeastOne(maxConnections);
        var maxConnectionsPerAddress = new Option<int?>("--max-connections-per-address")
        {
            Description = "Connections one client address holds at once on each face; one more is closed as it arrives (default: a quarter of --max-connections, at least 16)",
            HelpName = "N",
        };
        AtLeastOne(maxConnectionsPerAddress);
        var maxRequestBytes = new Option<long?>("--max-decompressed-bytes-per-request")
        {
            Description = $"Bytes one upload may decode to: what its compressed buffers decompress to and the chunks its table stores (default {NodeLimits.Default.MaxDecompressedBytesPerRequest}, 16 GiB)",
            HelpName = "BYTES",
        };
        AtLeastOne(maxRequestBytes);
        var maxTableChunks = new Option<long?>("--max-table-chunks")
        {
            Description = $"Chunks one request may walk in a table's tree: a description, a read, a FlightInfo; a table linking more is refused (default {NodeLimits.Default.MaxTableChunks}, a table of 64 GiB at the chunking target)",
            HelpName = "N",
        };
        AtLeastOne(maxTableChunks);
        var sqlMemoryLimit = new Option<string?>("--sql-memory-limit")
        {
            Description = "Memory DuckDB may use for one SQL query (Flight SQL, POST /api/v1/sql), e.g. 2GB; a query needing more is refused (default 4GB)",
            HelpName = "SIZE",
        };
        var sqlTimeout = DurationOption.Create("--sql-timeout", "How long one SQL query may run, its wait for a turn included; past it the query is stopped", "5m");
        var sqlMaxRows = new Option<long?>("--sql-max-rows")
        {
            Description = $"Rows one SQL answer may have: Flight SQL refuses a larger one, HTTP stops there and says so (default {NodeLimits.Default.SqlMaxRows})",
            HelpName = "N",
        };
        AtLeastOne(sqlMaxRows);
        var sqlQueries = new Option<int?>("--sql-queries")
        {
            Description = $"SQL queries running at once; more wait for a turn within --sql-timeout (default {NodeLimits.Default.SqlQueries})",
            HelpName = "N",
        };
        AtLeastOne(sqlQueries);
        var metricsListen = new Option<string?>("--metrics-listen") { Description = "Also serve /metrics (Prometheus) on this HOST:PORT of its own; it is always on the HTTP gateway's port", HelpName = "HOST:PORT" };
        var shutdownTimeout = new Option<double>("--shutdown-timeout")
        {
            Description = "Seconds a SIGTERM or Ctrl+C waits for the calls in flight to finish before cutting them off (a second signal cuts them off at once)",
            DefaultValueFactory = _ => 30,
            HelpName = "SECONDS",
        };
        shutdownTimeout.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && (!double.TryParse(result.Tokens[0].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds) || seconds < 0 || seconds > 86_400))
            {
                result.AddError("--shutdown-timeout must be a number of seconds from 0 to 86400");
            }
        });
        var tokenFile = new Option<string?>("--token-file") { Description = "A file of bearer tokens, one TOKEN:ROLE a line (# comments), kept out of the command line where ps shows it", HelpName = "FILE" };
        var usersFile = new Option<string?>("--users-file") { Description = "A file of Basic-auth users, one USER:PASSWORD:ROLE a line (# comments)", HelpName = "FILE" };
        var keyPasswordFile = new Option<string?>("--tls-key-password-file") { Description = "A file holding the password of an encrypted --tls-key or of a PKCS#12 --tls-cert", HelpName = "FILE" };
        var config = new Option<string?>("--config") { Description = "A JSON file of settings: serve's options without their dashes as keys (command line first, then ARROWCID_* variables, then this file; docs/configuration.md)", HelpName = "FILE" };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the settings in effect, where each came from, secrets hidden, and exit" };
        var command = new Command("serve", "Serve the repository as an Arrow Flight node (tickets are CIDs; see docs/flight.md) and over HTTP (docs/http.md)")
        {
            listen, http, cors, corsWrites, allowedHosts, strictTrustless, tokens, tokenFile, users, usersFile, certificate, key, keyPasswordFile, advertise, noShm, sharedRegistry, blocks, cacheSize,
            recordAddresses, metricsListen, maxConnections, maxConnectionsPerAddress, maxRequestBytes, maxTableChunks, sqlMemoryLimit, sqlTimeout, sqlMaxRows, sqlQueries, logFormat, logLevel, shutdownTimeout, config, printConfig,
        };
        command.SetAction(given =>
        {
            var (parse, sources) = ServeConfiguration.Layer(
                given, command, given.GetValue(config) ?? Environment.GetEnvironmentVariable(ServeConfiguration.EnvironmentPrefix + "CONFIG"), Environment.GetEnvironmentVariable);
            if (parse.GetValue(printConfig))
            {
                console.Out.WriteLine(ServeConfiguration.Describe(parse, command, sources, new HashSet<string>(StringComparer.Ordinal) { tokens.Name, users.Name }));
                return ExitCodes.Ok;
            }

            // A bad value names its option and where it came from; the process exits 2.
            string From(Option option) => ServeConfiguration.Label(option, sources);
            var tokenSpecs = (parse.GetValue(tokens) ?? []).Select(spec => (Spec: spec, From: From(tokens)))
                .Concat(SecretLines(parse.GetValue(tokenFile), From(tokenFile)));
            var userSpecs = (parse.GetValue(users) ?? []).Select(spec => (Spec: spec, From: From(users)))
                .Concat(SecretLines(parse.GetValue(usersFile), From(usersFile)));
            var access = new AccessPolicy();
            string? firstToken = null;
            foreach (var (spec, from) in tokenSpecs)
            {
                var (token, role) = Usage(from, () => AccessPolicy.ParseTokenSpec(spec));
                access.AddToken(token, role);
                firstToken ??= token;
            }

            foreach (var (spec, from) in userSpecs)
            {
                var (user, password, role) = Usage(from, () => AccessPolicy.ParseUserSpec(spec));
                access.AddUser(user, password, role);
            }

            var endpoint = ParseEndpoint(parse.GetValue(listen)!, From(listen));
            var httpEndpoint = parse.GetValue(http) is { } httpText
                ? ParseEndpoint(httpText, From(http))
                : new IPEndPoint(endpoint.Address, endpoint.Port == 0 ? 0 : endpoint.Port + 1);
            string? keyPassword = parse.GetValue(keyPasswordFile) is { } passwordFile
                ? CliErrors.About(passwordFile, () => File.ReadAllText(passwordFile)).TrimEnd('\r', '\n')
                : null;
            using var tls = LoadCertificate(parse.GetValue(certificate), parse.GetValue(key), keyPassword);
            using var logging = NodeLogging.Create(Enum.Parse<LogLevel>(parse.GetValue(logLevel)!, ignoreCase: true), parse.GetValue(logFormat) == "json");
            var hostOptions = new NodeHostOptions
            {
                Repository = LocalRepository.ResolvePath(parse.GetValue(repository.Option)),
                Registry = parse.GetValue(sharedRegistry),
                Blocks = parse.GetValue(blocks),
                SharedMemory = !parse.GetValue(noShm),
                Node = new NodeOptions
                {
                    Access = access,
                    PeerClient = new() { Token = firstToken },
                    RecordClientAddresses = parse.GetValue(recordAddresses),
                    CacheBytes = parse.GetValue(cacheSize) is { } size ? ParseSize(size) : null,
                    Limits = NodeLimits.Default with
                    {
                        MaxDecompressedBytesPerRequest = parse.GetValue(maxRequestBytes) ?? NodeLimits.Default.MaxDecompressedBytesPerRequest,
                        MaxTableChunks = parse.GetValue(maxTableChunks) ?? NodeLimits.Default.MaxTableChunks,
                        SqlMemoryBytes = parse.GetValue(sqlMemoryLimit) is { } sqlMemory
                            ? ParseSize(sqlMemory) ?? throw new CliUsageException($"{From(sqlMemoryLimit)}: '{sqlMemory}' is not a size such as 512MB or 4GB")
                            : NodeLimits.Default.SqlMemoryBytes,
                        SqlTimeout = parse.GetValue(sqlTimeout),
                        SqlMaxRows = parse.GetValue(sqlMaxRows) ?? NodeLimits.Default.SqlMaxRows,
                        SqlQueries = parse.GetValue(sqlQueries) ?? NodeLimits.Default.SqlQueries,
                    },
                    Logging = logging,
                },
                Warn = line => WriteLine(console.Error, $"arrowcid serve: {line}"),
                Say = line => WriteLine(console.Out, line),
            };
            int? budget = ConnectionBudget.PerFace(faces: 2);
            int? connections = parse.GetValue(maxConnections) ?? budget;
            if (connections > budget)
            {
                // Past the budget connections can take the last descriptors, and then .NET cannot even
                // start a thread (OutOfMemoryException): the node may stop.
                WriteLine(console.Error, $"arrowcid serve: --max-connections {connections} is more than the descriptor limit leaves each face ({budget}, keeping {ConnectionBudget.Reserve} for everything else); if connections use them all, the runtime cannot start a thread and the node may stop: raise the limit (ulimit -n, LimitNOFILE=) instead");
            }

            int? perAddress = parse.GetValue(maxConnectionsPerAddress) ?? ConnectionBudget.PerAddress(connections);
            var flight = new FlightNodeOptions
            {
                Listen = endpoint,
                MaxConnections = connections,
                MaxConnectionsPerAddress = perAddress,
                Certificate = tls,
                AdvertisedHost = parse.GetValue(advertise),
            };
            var gateway = new GatewayOptions
            {
                Listen = httpEndpoint,
                MaxConnections = connections,
                MaxConnectionsPerAddress = perAddress,
                Certificate = tls,
                AdvertisedHost = parse.GetValue(advertise),
                CorsOrigins = parse.GetValue(cors) ?? [],
                CorsAnyOriginWrites = parse.GetValue(corsWrites),
                AllowedHosts = parse.GetValue(allowedHosts) ?? [],
                StrictTrustless = parse.GetValue(strictTrustless),
                MetricsListen = parse.GetValue(metricsListen) is { } metricsText ? ParseEndpoint(metricsText, From(metricsListen)) : null,
            };
            return ServeAsync(console, hostOptions, flight, gateway, TimeSpan.FromSeconds(parse.GetValue(shutdownTimeout))).GetAwaiter().GetResult();
        });
        return command;
    }

    private static async Task<int> ServeAsync(CliConsole console, NodeHostOptions hostOptions, FlightNodeOptions flightOptions, GatewayOptions gatewayOptions, TimeSpan shutdownTimeout)
    {
        using var signals = new ShutdownSignals();
        using var trimmer = new MemoryTrimmer();
        using var host = OpenHost(hostOptions);
        FlightNode flight;
        try
        {
            flight = await FlightNode.StartAsync(host.Node, flightOptions).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new CliException($"cannot listen on {flightOptions.Listen}: {e.Message}", e);
        }

        await using (flight.ConfigureAwait(false))
        {
            GatewayNode gateway;
            try
            {
                gateway = await GatewayNode.StartAsync(host.Node, gatewayOptions).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new CliException($"cannot listen on {gatewayOptions.Listen} (--http): {e.Message}", e);
            }

            await using (gateway.ConfigureAwait(false))
            {
                host.Announce();
                console.Out.WriteLine($"serving {flight.Location}");
                console.Out.WriteLine($"gateway {gateway.Address.GetLeftPart(UriPartial.Authority)}");
                if (gateway.MetricsAddress is { } metrics)
                {
                    console.Out.WriteLine($"metrics {metrics.GetLeftPart(UriPartial.Authority)}/metrics");
                }

                console.Out.WriteLine($"repository {host.Repository.Repository.Root}; shared memory: {(host.SharedMemory is null ? "not served" : host.SharedMemory.Directory)}; auth: {(host.Node.Access.IsEnforced ? "tokens required" : "open")}");
                if (host.DurableTier is { } tier)
                {
                    console.Out.WriteLine($"blocks also in {tier.Describe()}; conditional puts: {(tier.ConditionalPuts ? "honoured (If-None-Match: *)" : "not honoured (HEAD before each put)")}; payload digests: {(tier.PayloadDigests ? "checked (a block is signed with its CID's digest)" : "not checked (a block is hashed before it is sent)")}");
                }

                console.Out.Flush();
                await Task.Delay(Timeout.Infinite, signals.Stopping).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);

                // Draining: health says NOT_SERVING and 503, new calls are refused, both faces stop
                // listening and let what runs finish, until the timeout or a second signal cuts it off.
                host.Node.Health.Drain();
                WriteLine(console.Error, $"arrowcid serve: shutting down: finishing the calls in flight (at most {shutdownTimeout.TotalSeconds:0.#} s; a second signal stops at once)");
                using var grace = CancellationTokenSource.CreateLinkedTokenSource(signals.Forced);
                grace.CancelAfter(shutdownTimeout);
                await Task.WhenAll(flight.StopAsync(grace.Token), gateway.StopAsync(grace.Token)).ConfigureAwait(false);
            }
        }

        // Disposing the host applies the group commit's last rows and closes shared memory: what was
        // acknowledged is durable already (a put is acknowledged after its commit is synced).
        return ExitCodes.Ok;
    }

    /// <summary>Composes the node; a refusal to claim the folder or use the registry is the command's one-line error.</summary>
    private static NodeHost OpenHost(NodeHostOptions options) =>
        CliErrors.About(options.Repository, () =>
        {
            try
            {
                return NodeHost.Open(options);
            }
            catch (InvalidOperationException e)
            {
                throw new CliException(e.Message, e);
            }
            catch (NodeException e)
            {
                throw new CliException($"--registry: {e.Message}", e);
            }
            catch (Exception e) when (e is FormatException or ObjectStorage.ObjectStoreException)
            {
                throw new CliException($"--blocks: {e.Message}", e);
            }
            catch (ArgumentException e) when (options.Node.CacheBytes is not null && e.ParamName == "options")
            {
                throw new CliException($"--cache-size: {e.Message[..e.Message.IndexOf(" (Parameter", StringComparison.Ordinal)]}", e);
            }
        });

    private static void WriteLine(TextWriter writer, string line)
    {
        writer.WriteLine(line);
        writer.Flush();
    }

    private static IPEndPoint ParseEndpoint(string text, string option)
    {
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon].Trim('[', ']') : string.Empty;
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new CliUsageException($"{option}: '{text}' is not HOST:PORT");
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var resolved = CliErrors.About(host, () => Dns.GetHostAddresses(host));
        return resolved.Length > 0 ? new IPEndPoint(resolved[0], port) : throw new CliUsageException($"{option}: '{host}' does not resolve");
    }

    private static X509Certificate2? LoadCertificate(string? certificate, string? key, string? password)
    {
        if (certificate is null)
        {
            return key is null ? null : throw new CliException("--tls-key needs --tls-cert");
        }

        return CliErrors.About(certificate, () =>
        {
            try
            {
                if (certificate.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certificate.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
                {
                    return X509CertificateLoader.LoadPkcs12FromFile(certificate, password);
                }

                // Kestrel needs a key it can use on every platform: re-import the PEM pair as PKCS#12.
                using var pem = password is null ? X509Certificate2.CreateFromPemFile(certificate, key) : X509Certificate2.CreateFromEncryptedPemFile(certificate, password, key);
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new CliException($"not a usable certificate and key: {e.Message}", e);
            }
        });
    }

    // The lines of a secrets file, blank ones and # comments skipped, each labelled with the file and line for an error.
    private static IEnumerable<(string Spec, string From)> SecretLines(string? path, string option)
    {
        if (path is null)
        {
            return [];
        }

        string[] lines = CliErrors.About(path, () => File.ReadAllLines(path));
        return lines.Select((line, i) => (Spec: line.Trim(), From: $"{option} {path}:{i + 1}"))
            .Where(l => l.Spec.Length > 0 && !l.Spec.StartsWith('#'));
    }

    private static T Usage<T>(string from, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (FormatException e)
        {
            throw new CliUsageException($"{from}: {e.Message}", e);
        }
    }

    /// <summary>Refuses a count option given as zero or less, naming it.</summary>
    /// <summary>A size in bytes: digits, then optionally K, M, G or T (powers of 1024, with or without "iB" or "B"); null when it is not one or below 1.</summary>
    internal static long? ParseSize(string text)
    {
        string trimmed = text.Trim();
        int digits = 0;
        while (digits < trimmed.Length && char.IsAsciiDigit(trimmed[digits]))
        {
            digits++;
        }

        string unit = trimmed[digits..].Trim().ToUpperInvariant();
        int shift = unit switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            _ => -1,
        };
        if (digits == 0 || shift < 0 || !long.TryParse(trimmed.AsSpan(0, digits), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
            || value < 1 || value > long.MaxValue >> shift)
        {
            return null;
        }

        return value << shift;
    }

    private static void AtLeastOne<T>(Option<T?> option)
        where T : struct, System.Numerics.INumber<T> =>
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T?>() is { } value && value < T.One)
            {
                result.AddError($"{option.Name} must be at least 1");
            }
        });
}
