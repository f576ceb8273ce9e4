using System.Net;
using ArrowCid.Http2.Server;
using Xunit;

namespace ArrowCid.Http2.Tests.Server;

public sealed class KestrelHostingTests
{
    [Theory]
    [InlineData("::1", "[::1]")]
    [InlineData("fe80::1%eth0", "[fe80::1%eth0]")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("node.example", "node.example")]
    public void An_IPv6_literal_goes_in_brackets_in_a_uri_host_and_nothing_else_changes(string host, string expected) =>
        Assert.Equal(expected, KestrelHosting.UriHost(host));

    [Fact]
    public void The_advertised_host_is_the_given_name_else_the_listen_address()
    {
        Assert.Equal("node.example", KestrelHosting.AdvertisedHost(new IPEndPoint(IPAddress.Loopback, 80), "node.example"));
        Assert.Equal("::1", KestrelHosting.AdvertisedHost(new IPEndPoint(IPAddress.IPv6Loopback, 80), null));
        Assert.Equal(Dns.GetHostName(), KestrelHosting.AdvertisedHost(new IPEndPoint(IPAddress.Any, 80), null));
    }
}
