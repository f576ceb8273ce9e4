using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.S3.Model;

namespace ArrowCid.ObjectStorage;

/// <summary>
/// Puts whose payload's SHA-256 is known before they are sent: a block's, which is its CID's
/// digest. Signature V4 signs a payload by that hash (<c>x-amz-content-sha256</c>), and the server
/// checks the bytes it receives against it; a request given its hash here (<see cref="Sign"/>) is
/// signed with it, where the SDK would compute one by reading every byte again. One step is added
/// to the SDK's request pipeline, before it signs: the SDK's <c>PrecomputedContentSha256</c> of
/// such a request is set to its hash. Every other request, of any client, is signed as the SDK
/// signs it. The SDK applies pipeline customizations to clients made after they are registered, and
/// keeps them process-wide, so the step is registered once, before the tier's first client is made.
/// (A subclass of the request cannot carry the hash: the SDK resolves a request's endpoint by its
/// type's name.)
/// </summary>
internal static class PayloadDigestSigning
{
    private static readonly Lazy<bool> Registered = new(() =>
    {
        RuntimePipelineCustomizerRegistry.Instance.Register(new Customizer());
        return true;
    });

    // The hash each request is to be signed with, as long as the request lives.
    private static readonly ConditionalWeakTable<AmazonWebServiceRequest, string> Digests = [];

    /// <summary>Registers the step (once per process).</summary>
    public static void Enable() => _ = Registered.Value;

    /// <summary>Has <paramref name="request"/> signed with <paramref name="payloadSha256"/> (lowercase hex) as its payload's hash.</summary>
    public static void Sign(PutObjectRequest request, string payloadSha256) => Digests.AddOrUpdate(request, payloadSha256);

    private sealed class Customizer : IRuntimePipelineCustomizer
    {
        public string UniqueName => "ArrowCid.PayloadDigestSigning";

        public void Customize(Type type, RuntimePipeline pipeline) => pipeline.AddHandlerBefore<Signer>(new GivenPayloadHash());
    }

    // Runs at every attempt, retries included, just before the signer reads the payload hash.
    private sealed class GivenPayloadHash : PipelineHandler
    {
        public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            if (Digests.TryGetValue(executionContext.RequestContext.OriginalRequest, out var payloadSha256))
            {
                executionContext.RequestContext.Request.PrecomputedContentSha256 = payloadSha256;
            }

            return base.InvokeAsync<T>(executionContext);
        }
    }
}
