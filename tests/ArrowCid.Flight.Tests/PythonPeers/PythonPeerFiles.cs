using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Flight.Protocol;
using ArrowCid.TestSupport;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace ArrowCid.Flight.Tests.PythonPeers;

/// <summary>
/// What the Python peers (interop/python/grpc_peer) are given: a folder with the Flight
/// FileDescriptorSet, canonical IPC streams to put, and a JSON configuration named by
/// ARROWCID_PY_PEER. Deleted with the instance.
/// </summary>
internal sealed class PythonPeerFiles : IDisposable
{
    public PythonPeerFiles()
    {
        Folder = Directory.CreateTempSubdirectory("arrowcid-python-peer-").FullName;
        DescriptorSet = Path.Combine(Folder, "flight.desc");
        // google/protobuf/timestamp.proto first: Flight.proto imports it.
        var set = new FileDescriptorSet();
        foreach (var file in new[] { TimestampReflection.Descriptor, FlightReflection.Descriptor })
        {
            set.File.Add(FileDescriptorProto.Parser.ParseFrom(file.SerializedData));
        }

        File.WriteAllBytes(DescriptorSet, set.ToByteArray());
    }

    public string Folder { get; }

    /// <summary>The serialized FileDescriptorSet of proto/Flight.proto (Debian's grpc_tools cannot compile it: `optional`).</summary>
    public string DescriptorSet { get; }

    /// <summary>Writes the canonical block of <paramref name="batch"/> (a complete IPC stream) and describes it for the configuration.</summary>
    public Dictionary<string, object> WriteStream(string name, RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string path = Path.Combine(Folder, name + ".arrows");
        File.WriteAllBytes(path, CanonicalEncoder.Encode(batch));
        return new Dictionary<string, object> { ["path"] = path, ["rows"] = batch.Length };
    }

    /// <summary>Writes the configuration JSON; returns the environment the Python run needs.</summary>
    public Dictionary<string, string> WriteConfig(Dictionary<string, object> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config["descriptor_set"] = DescriptorSet;
        string path = Path.Combine(Folder, "peer.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config));
        return new Dictionary<string, string> { ["ARROWCID_PY_PEER"] = path };
    }

    /// <summary>Null when Debian's python3 imports <paramref name="modules"/>; else the SKIPPED line to print (in CI, throws instead).</summary>
    public static async Task<string?> SkipUnlessAvailableAsync(params string[] modules) =>
        await PythonInteropRunner.UnavailableAsync(modules) is { } why ? CiEnvironment.SkipOrFail(why) : null;

    public void Dispose()
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
