using ArrowCid.Flight.Service;
using Xunit;

namespace ArrowCid.Flight.Tests;

/// <summary>Flight locations made from HTTP/2 addresses: the scheme mapped, an IPv6 host bracketed.</summary>
public sealed class FlightLocationsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8815/", null, "grpc+tcp://127.0.0.1:8815")]
    [InlineData("https://[::1]:8815/", null, "grpc+tls://[::1]:8815")]
    [InlineData("http://127.0.0.1:8815/", "::1", "grpc+tcp://[::1]:8815")]
    [InlineData("http://127.0.0.1:8815/", "node.example", "grpc+tcp://node.example:8815")]
    public void A_location_names_the_address_or_the_advertised_host(string address, string? host, string expected)
    {
        string location = FlightLocations.FromHttpAddress(new Uri(address), host);
        Assert.Equal(expected, location);
        Assert.Equal(new Uri(address).Port, FlightLocations.ToHttpAddress(location).Port);
    }
}
