using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Service;
using ArrowCid.Gateway;
using ArrowCid.Registry;
using ArrowCid.Registry.Postgres;
using ArrowCid.Repository;
using ArrowCid.SharedMemory;

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
        var corsWrites = new Option<bool>("--cors-any-origin-writes") { Description = "With --cors '*', let pages of any origin upload too (by default '*' opens reads only)" };
        var allowedHosts = new Option<string[]>("--allowed-host")
        {
            Description = "A Host name the HTTP gateway answers besides its own loopback names when it listens on loopback (repeatable; DNS-rebinding guard, docs/security.md)",
            HelpName = "HOST",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var recordAddresses = new Option<bool>("--record-client-addresses") { Description = "Record the client's address in the producer of what it puts (every reader sees it); off by default" };
        var command = new Command("serve", "Serve the repository as an Arrow Flight node (tickets are CIDs; see docs/flight.md) and over HTTP (docs/http.md)")
        {
            listen, http, cors, corsWrites, allowedHosts, strictTrustless, tokens, users, certificate, key, advertise, noShm, sharedRegistry, recordAddresses,
        };
        command.SetAction(parse =>
        {
            var access = new FlightAccessPolicy();
            try
            {
                foreach (string spec in parse.GetValue(tokens) ?? [])
                {
                    var (token, role) = FlightAccessPolicy.ParseTokenSpec(spec);
                    access.AddToken(token, role);
                }

                foreach (string spec in parse.GetValue(users) ?? [])
                {
                    var (user, password, role) = FlightAccessPolicy.ParseUserSpec(spec);
                    access.AddUser(user, password, role);
                }
            }
            catch (FormatException e)
            {
                throw new CliException(e.Message, e);
            }

            var endpoint = ParseEndpoint(parse.GetValue(listen)!, "--listen");
            var httpEndpoint = parse.GetValue(http) is { } httpText
                ? ParseEndpoint(httpText, "--http")
                : new IPEndPoint(endpoint.Address, endpoint.Port == 0 ? 0 : endpoint.Port + 1);
            using var tls = LoadCertificate(parse.GetValue(certificate), parse.GetValue(key));
            using var shm = parse.GetValue(noShm) ? null : TryOpenSharedMemory(console);
            using var content = repository.Open(parse);
            string root = content.Repository.Root;
            // One node per folder; and the folder keeps the registry its blocks are recorded in.
            using var lease = Claimed(() => NodeLease.Acquire(root));
            string? registryUrl = Claimed(() => NodeSettings.ResolveRegistry(CliErrors.About(Path.Combine(root, NodeSettings.FileName), () => NodeSettings.Read(root)), parse.GetValue(sharedRegistry)));
            using var shared = OpenSharedRegistry(registryUrl, console);
            var options = new FlightNodeOptions
            {
                Listen = endpoint,
                Certificate = tls,
                AdvertisedHost = parse.GetValue(advertise),
                Service = new FlightServiceOptions
                {
                    Access = access,
                    SharedRegistry = shared,
                    SharedMemory = shm,
                    PeerClient = new() { Token = FirstToken(parse.GetValue(tokens)) },
                    RecordClientAddresses = parse.GetValue(recordAddresses),
                },
            };
            var gateway = new GatewayOptions
            {
                Listen = httpEndpoint,
                Certificate = tls,
                AdvertisedHost = parse.GetValue(advertise),
                CorsOrigins = parse.GetValue(cors) ?? [],
                CorsAnyOriginWrites = parse.GetValue(corsWrites),
                AllowedHosts = parse.GetValue(allowedHosts) ?? [],
                StrictTrustless = parse.GetValue(strictTrustless),
            };
            return Serve(console, content, options, gateway, shm, registryUrl);
        });
        return command;
    }

    private static int Serve(CliConsole console, Repository.ContentRepository content, FlightNodeOptions options, GatewayOptions gatewayOptions, ShmStore? shm, string? registryUrl)
    {
        using var stop = new ManualResetEventSlim();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Set();
        };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Set();
        });
        try
        {
            FlightNode node;
            try
            {
                node = FlightNode.StartAsync(content, options).GetAwaiter().GetResult();
            }
            catch (IOException e)
            {
                throw new CliException($"cannot listen on {options.Listen}: {e.Message}", e);
            }

            GatewayNode gateway;
            try
            {
                gateway = GatewayNode.StartAsync(node.Service, gatewayOptions).GetAwaiter().GetResult();
            }
            catch (IOException e)
            {
                node.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw new CliException($"cannot listen on {gatewayOptions.Listen} (--http): {e.Message}", e);
            }

            // Changes other nodes commit to a PostgreSQL registry wake this node's subscribers.
            using var wake = WakeOnChanges(options.Service.SharedRegistry, node.Service.Changes.Notify, console);
            try
            {
                // What every command run on this folder needs to act as this node does (NodeFolder).
                new NodeSettings(registryUrl, node.Location, Environment.ProcessId, DateTimeOffset.UtcNow).Write(content.Repository.Root);
                console.Out.WriteLine($"serving {node.Location}");
                console.Out.WriteLine($"gateway {gateway.Address.GetLeftPart(UriPartial.Authority)}");
                console.Out.WriteLine($"repository {content.Repository.Root}; shared memory: {(shm is null ? "not served" : shm.Directory)}; auth: {(options.Service.Access.IsEnforced ? "tokens required" : "open")}");
                console.Out.Flush();
                stop.Wait();
            }
            finally
            {
                gateway.DisposeAsync().AsTask().GetAwaiter().GetResult();
                node.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        return ExitCodes.Ok;
    }

    private static IPEndPoint ParseEndpoint(string text, string option)
    {
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon].Trim('[', ']') : string.Empty;
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new CliException($"{option} '{text}' is not HOST:PORT");
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var resolved = CliErrors.About(host, () => Dns.GetHostAddresses(host));
        return resolved.Length > 0 ? new IPEndPoint(resolved[0], port) : throw new CliException($"{option}: '{host}' does not resolve");
    }

    /// <summary>Runs a step of claiming the folder; a refusal is the command's one-line error.</summary>
    private static T Claimed<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    /// <summary>
    /// Opens the shared registry. While it is unreachable the node starts all the same, over a
    /// <see cref="ConnectingRegistry"/> that says so and tries again after 1 s, 2, 4… up to 30 s
    /// apart: meanwhile the node serves what it holds by CID and answers the rest UNAVAILABLE.
    /// </summary>
    private static IRegistry? OpenSharedRegistry(string? url, CliConsole console)
    {
        if (url is null)
        {
            return null;
        }

        try
        {
            return OpenSharedRegistryOnce(url);
        }
        catch (RegistryUnavailableException e)
        {
            return new ConnectingRegistry(() => OpenSharedRegistryOnce(url), e, (error, wait) =>
            {
                console.Error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"arrowcid serve: {error.Message}; serving what this node holds by CID meanwhile; retrying in {wait.TotalSeconds:0} s"));
                console.Error.Flush();
            });
        }
    }

    /// <summary>
    /// Wakes the node's subscribers on changes other nodes commit to a PostgreSQL registry; for a
    /// registry still being connected to, from when it answers (saying so), and once then, since
    /// changes may have been missed.
    /// </summary>
    private static IDisposable? WakeOnChanges(IRegistry? shared, Action notify, CliConsole console)
    {
        switch (shared)
        {
            case PostgresRegistry postgres:
                return postgres.Subscribe(notify);
            case ConnectingRegistry connecting:
                var subscription = new LateSubscription();
                _ = connecting.Connected.ContinueWith(
                    reached =>
                    {
                        if (reached.IsCompletedSuccessfully)
                        {
                            console.Out.WriteLine("registry reached: the node serves everything");
                            console.Out.Flush();
                            subscription.Set((reached.Result as PostgresRegistry)?.Subscribe(notify));
                            notify();
                        }
                        else if (reached.Exception is { } failed)
                        {
                            console.Error.WriteLine($"arrowcid serve: the registry cannot be used: {failed.InnerException?.Message}; only what this node holds is served by CID");
                            console.Error.Flush();
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default);
                return subscription;
            default:
                return null;
        }
    }

    // A subscription made later than the node's start; disposing it first disposes what comes later.
    private sealed class LateSubscription : IDisposable
    {
        private readonly object _gate = new();
        private IDisposable? _subscription;
        private bool _disposed;

        public void Set(IDisposable? subscription)
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _subscription = subscription;
                    return;
                }
            }

            subscription?.Dispose();
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _subscription?.Dispose();
                _subscription = null;
            }
        }
    }

    private static IRegistry OpenSharedRegistryOnce(string url)
    {
        try
        {
            return RegistryFactory.Open(url);
        }
        catch (Exception e) when (e is FormatException or Npgsql.NpgsqlException or NotSupportedException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--registry: {e.Message}", e);
        }
    }

    private static X509Certificate2? LoadCertificate(string? certificate, string? key)
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
                    return X509CertificateLoader.LoadPkcs12FromFile(certificate, null);
                }

                // Kestrel needs a key it can use on every platform: re-import the PEM pair as PKCS#12.
                using var pem = X509Certificate2.CreateFromPemFile(certificate, key);
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new CliException($"not a usable certificate and key: {e.Message}", e);
            }
        });
    }

    private static ShmStore? TryOpenSharedMemory(CliConsole console)
    {
        try
        {
            return ShmStore.Open();
        }
        catch (Exception e) when (e is PlatformNotSupportedException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            console.Error.WriteLine($"arrowcid: shared memory not served: {e.Message}");
            return null;
        }
    }

    private static string? FirstToken(string[]? tokens) =>
        tokens is { Length: > 0 } ? FlightAccessPolicy.ParseTokenSpec(tokens[0]).Token : null;
}
