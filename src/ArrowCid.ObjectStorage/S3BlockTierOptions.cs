using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace ArrowCid.ObjectStorage;

/// <summary>
/// How to reach an S3-compatible object store. What is left null comes from the standard places, as
/// the AWS CLI and SDKs take it: the endpoint from <c>AWS_ENDPOINT_URL_S3</c> or <c>AWS_ENDPOINT_URL</c>
/// (none: AWS itself), the region from <c>AWS_REGION</c> or <c>AWS_DEFAULT_REGION</c> (or the shared
/// config file), credentials from <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, the shared
/// credentials and config files (<c>AWS_PROFILE</c>) or the instance's role. A custom endpoint is
/// addressed path-style (Ceph RGW, MinIO and Garage need it).
/// </summary>
public sealed record S3BlockTierOptions
{
    /// <summary>The endpoint, e.g. <c>http://127.0.0.1:7480</c>; null: from the environment, else AWS.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The region; null: from the environment or the shared config file (us-east-1 with a custom endpoint).</summary>
    public string? Region { get; init; }

    /// <summary>
    /// Credentials; null: the standard chain. Tests and embedders pass them here; a node never takes
    /// a secret on its command line.
    /// </summary>
    public Amazon.Runtime.AWSCredentials? Credentials { get; init; }

    /// <summary>
    /// The most one request may take, retries included, before it fails as unavailable (a killed
    /// Ceph OSD makes requests hang rather than fail). Default 30 s.
    /// </summary>
    public TimeSpan RequestDeadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a request that failed in a way worth retrying (the SDK's standard mode). Default 2.</summary>
    public int Retries { get; init; } = 2;

    /// <summary>
    /// Blocks of at most this many bytes are written in pack objects, many to one request; larger ones
    /// as objects of their own. Default 64 KiB, as a repository packs its small blocks on disk; 0: no packs.
    /// </summary>
    public int PackThreshold { get; init; } = 64 << 10;

    /// <summary>The largest object read as a block: a larger one cannot be a block and is refused unread. Default 2 GiB less one byte, what one array holds.</summary>
    public long MaxBlockBytes { get; init; } = Array.MaxLength;

    /// <summary>
    /// A client of the store these options reach, configured as the tier's own (a deadline per
    /// attempt, standard retries, checksums only where S3 requires them, path-style addressing for a
    /// custom endpoint): what a benchmark of the raw store compares the tier with.
    /// </summary>
    /// <param name="endpoint">The endpoint as logs name it: its URL, or "AWS S3"; never a credential.</param>
    /// <returns>The client; dispose it.</returns>
    public AmazonS3Client CreateClient(out string endpoint)
    {
        var config = new AmazonS3Config
        {
            // A deadline per attempt here, and one for the whole request (retries too) in the tier.
            Timeout = RequestDeadline,
            MaxErrorRetry = Retries,
            RetryMode = RequestRetryMode.Standard,

            // Checksums in trailers (aws-chunked) only where S3 requires them: Ceph RGW 16 and other
            // servers do not take them, and every block is hashed against its CID anyway.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };

        string? custom = Endpoint?.ToString() ?? FromEnvironment("AWS_ENDPOINT_URL_S3") ?? FromEnvironment("AWS_ENDPOINT_URL");
        string? region = Region ?? FromEnvironment("AWS_REGION") ?? FromEnvironment("AWS_DEFAULT_REGION");
        if (custom is not null)
        {
            config.ServiceURL = custom;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region ?? "us-east-1";
            endpoint = custom;
        }
        else
        {
            if (region is not null)
            {
                config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
            }

            endpoint = "AWS S3";
        }

        PayloadDigestSigning.Enable();
        return Credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(Credentials, config);
    }

    private static string? FromEnvironment(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
