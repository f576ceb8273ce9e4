using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.TestSupport;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.PythonPeers;

/// <summary>
/// What a Python peer suite (interop/python/grpc_peer) runs against: `arrowcid serve` nodes in child
/// processes and a folder with the Flight FileDescriptorSet, canonical IPC streams to put and a JSON
/// configuration named by ARROWCID_PY_PEER. A subclass starts its nodes and writes the configuration.
/// When Debian's python3 lacks a module the suites need, nothing starts and the tests print why
/// (in CI, CI=true, the fixture fails instead).
/// </summary>
public abstract class PythonPeerFixture : IAsyncLifetime, IDisposable
{
    private readonly string[] _modules;
    private readonly List<ServeProcess> _nodes = [];

    protected PythonPeerFixture(params string[] modules)
    {
        _modules = modules;
        Folder = Directory.CreateTempSubdirectory("arrowcid-python-peer-").FullName;
    }

    /// <summary>The folder the Python side reads (descriptor set, streams, configuration, certificates).</summary>
    public string Folder { get; }

    /// <summary>The SKIPPED line when a module is missing (outside CI); null when the suites run.</summary>
    public string? Skip { get; private set; }

    /// <summary>The environment of the Python run (ARROWCID_PY_PEER).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        Skip = await PythonInteropRunner.UnavailableAsync(_modules) is { } why ? CiEnvironment.SkipOrFail(why) : null;
        if (Skip is null)
        {
            await StartAsync();
        }
    }

    /// <summary>Starts the nodes, puts what the suites read and calls <see cref="WriteConfig"/>.</summary>
    protected abstract Task StartAsync();

    /// <summary>Starts `arrowcid serve` with <paramref name="arguments"/>; stopped with the fixture.</summary>
    protected async Task<ServeProcess> StartNodeAsync(params string[] arguments)
    {
        var node = await ServeProcess.StartAsync(arguments);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Writes the canonical block of <paramref name="batch"/> (a complete IPC stream) and describes it for the configuration.</summary>
    protected Dictionary<string, object> WriteStream(string name, RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string path = Path.Combine(Folder, name + ".arrows");
        File.WriteAllBytes(path, CanonicalEncoder.Encode(batch));
        return new Dictionary<string, object> { ["path"] = path, ["rows"] = batch.Length };
    }

    /// <summary>
    /// Writes the configuration with the FileDescriptorSet of proto/Flight.proto beside it (Debian's
    /// grpc_tools cannot compile Flight.proto: `optional`), and sets <see cref="Environment"/>.
    /// </summary>
    protected void WriteConfig(Dictionary<string, object> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        // google/protobuf/timestamp.proto first: Flight.proto imports it.
        var set = new FileDescriptorSet();
        foreach (var file in new[] { TimestampReflection.Descriptor, FlightReflection.Descriptor })
        {
            set.File.Add(FileDescriptorProto.Parser.ParseFrom(file.SerializedData));
        }

        config["descriptor_set"] = Path.Combine(Folder, "flight.desc");
        File.WriteAllBytes((string)config["descriptor_set"], set.ToByteArray());
        string path = Path.Combine(Folder, "peer.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config));
        Environment = new Dictionary<string, string> { ["ARROWCID_PY_PEER"] = path };
    }

    /// <summary>
    /// Runs one suite (`python3 -m unittest -v grpc_peer.MODULE`) and checks that every node still
    /// runs and that exactly <paramref name="expectedPassed"/> tests passed; prints the log and the
    /// nodes' memory. Prints the SKIPPED line instead when the suites cannot run.
    /// </summary>
    public async Task RunAsync(string module, int expectedPassed, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Skip is not null)
        {
            output.WriteLine(Skip);
            return;
        }

        var result = await PythonInteropRunner.RunUnittestAsync([module], TimeSpan.FromMinutes(3), Environment);
        output.WriteLine(result.Log);
        foreach (var node in _nodes)
        {
            Assert.False(node.HasExited, $"the node at {node.Location} died:\n{node.Output}");
            var (rss, peak) = node.Memory();
            output.WriteLine($"node {node.Location}: RSS {rss >> 20} MiB, peak {peak >> 20} MiB");
        }

        Assert.True(result.ExitCode == 0, $"python3 -m unittest {module} failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal((expectedPassed, 0, 0), (result.Passed, result.Failed, result.Skipped));
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>After <see cref="DisposeAsync"/> (xunit calls both): the files go once the nodes have stopped.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temporary-file cleaning.
        }
    }
}
