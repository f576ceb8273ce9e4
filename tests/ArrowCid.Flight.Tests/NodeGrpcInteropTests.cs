using ArrowCid.TestSupport;
using ArrowCid.Flight.Tests.Support;

namespace ArrowCid.Flight.Tests;

/// <summary>
/// Runs interop/node/test/grpc-transport.test.mjs (@grpc/grpc-js) against our server. Skipped, with the
/// reason printed, when node or the interop packages are not installed.
/// </summary>
[Trait("Category", "Peers")]
public sealed class NodeGrpcInteropTests(TestServer server, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Grpc_js_client_calls_the_flight_service()
    {
        if (NodeInteropRunner.Unavailable("@grpc/grpc-js", "@grpc/proto-loader") is { } why)
        {
            // xunit 2 has no runtime skip: say why loudly and pass.
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        var result = await NodeInteropRunner.RunTestAsync(
            "test/grpc-transport.test.mjs",
            NodeInteropRunner.FixturesDirectory("grpc"),
            TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["ARROWCID_GRPC_TEST_URL"] = server.Address.ToString() });
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(6, result.Passed);
        Assert.Equal(0, result.Skipped);
    }
}
