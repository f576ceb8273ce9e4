using Amazon.Runtime;
using Amazon.S3;
using ArrowCid.TestSupport;

namespace ArrowCid.ObjectStorage.Tests;

/// <summary>One Ceph cluster (radosgw) for the tests of a class, started by the tests themselves; a bucket per test.</summary>
public sealed class CephFixture : IAsyncLifetime
{
    private CephTestCluster? _cluster;

    /// <summary>Why there is no cluster (outside CI only: CI fails instead), or null.</summary>
    public string? Skipped { get; private set; }

    /// <summary>The running cluster.</summary>
    public CephTestCluster Cluster => _cluster ?? throw new InvalidOperationException(Skipped);

    /// <summary>The cluster's S3 user.</summary>
    public AWSCredentials Credentials => new BasicAWSCredentials(Cluster.AccessKey, Cluster.SecretKey);

    /// <summary>Options that reach the cluster.</summary>
    public S3BlockTierOptions Options => new() { Endpoint = Cluster.Endpoint, Credentials = Credentials };

    public async Task InitializeAsync()
    {
        if (CephTestCluster.Unavailable() is { } why)
        {
            Skipped = CiEnvironment.SkipOrFail(why);
            return;
        }

        _cluster = await CephTestCluster.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>A plain S3 client of the cluster (the AWS SDK without our tier), for what a test does behind the tier's back.</summary>
    public AmazonS3Client RawClient() => Options.CreateClient(out _);

    /// <summary>Creates a new, empty bucket and returns its name.</summary>
    public async Task<string> NewBucketAsync()
    {
        string bucket = "t-" + Guid.NewGuid().ToString("N")[..20];
        using var client = RawClient();
        await client.PutBucketAsync(bucket);
        return bucket;
    }
}
