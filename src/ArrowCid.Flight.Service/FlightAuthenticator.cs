using System.Text;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using Google.Protobuf;

using ArrowCid.Node;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Applies a <see cref="AccessPolicy"/> to calls: bearer tokens on every call, and the
/// Handshake that exchanges Basic credentials for a token, in both forms Flight clients use (an
/// <c>authorization: Basic …</c> header answered with an <c>authorization: Bearer …</c> header, as
/// pyarrow's authenticate_basic_token does, or a BasicAuth message as the handshake payload,
/// answered with the token as the payload).
/// </summary>
internal sealed class FlightAuthenticator(AccessPolicy policy)
{
    private const string AuthorizationHeader = "authorization";

    /// <summary>Fails the call unless its bearer token allows <paramref name="needed"/>.</summary>
    public void Require(ServerCallContext context, AccessRole needed)
    {
        if (!policy.IsEnforced)
        {
            return;
        }

        string? header = context.RequestHeaders.GetValue(AuthorizationHeader);
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(StatusCode.Unauthenticated, "this server needs 'authorization: Bearer TOKEN' (or a Basic-auth Handshake)");
        }

        AccessRole role = policy.RoleOfToken(header["Bearer ".Length..].Trim())
            ?? throw new RpcException(StatusCode.Unauthenticated, "the bearer token is not valid on this server");
        if (role < needed)
        {
            throw new RpcException(StatusCode.PermissionDenied, $"this token may {role.ToString().ToLowerInvariant()}, not {needed.ToString().ToLowerInvariant()}");
        }
    }

    public async Task HandshakeAsync(
        IAsyncStreamReader<HandshakeRequest> requests, IServerStreamWriter<HandshakeResponse> responses, ServerCallContext context)
    {
        string? header = context.RequestHeaders.GetValue(AuthorizationHeader);
        if (header is not null && header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            string token = Issue(DecodeBasicHeader(header["Basic ".Length..].Trim()), context);
            await context.WriteResponseHeadersAsync(new Metadata { { AuthorizationHeader, $"Bearer {token}" } }).ConfigureAwait(false);

            // Clients of this form may still send an empty handshake message; answer it in kind.
            if (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                await responses.WriteAsync(new HandshakeResponse { Payload = ByteString.CopyFromUtf8(token) }, context.CancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (!await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            return;
        }

        HandshakeRequest request = requests.Current;
        if (!policy.IsEnforced)
        {
            // Nothing to check: echo, so handshaking clients work against an open server.
            await responses.WriteAsync(new HandshakeResponse { Payload = request.Payload }, context.CancellationToken).ConfigureAwait(false);
            return;
        }

        BasicAuth basic;
        try
        {
            basic = BasicAuth.Parser.ParseFrom(request.Payload);
        }
        catch (InvalidProtocolBufferException)
        {
            throw new RpcException(StatusCode.Unauthenticated, "the handshake payload is not a BasicAuth message");
        }

        string issued = Issue((basic.Username, basic.Password), context);
        await responses.WriteAsync(new HandshakeResponse { Payload = ByteString.CopyFromUtf8(issued) }, context.CancellationToken).ConfigureAwait(false);
    }

    private string Issue((string User, string Password) credentials, ServerCallContext context)
    {
        try
        {
            return policy.IssueToken(credentials.User, credentials.Password, FlightRequests.PeerAddress(context.Peer))
                ?? throw new RpcException(StatusCode.Unauthenticated, "wrong user name or password");
        }
        catch (LoginThrottledException e)
        {
            throw new RpcException(StatusCode.ResourceExhausted, e.Message);
        }
    }

    private static (string User, string Password) DecodeBasicHeader(string encoded)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            throw new RpcException(StatusCode.Unauthenticated, "the Basic credentials are not base64");
        }

        int at = text.IndexOf(':', StringComparison.Ordinal);
        return at < 0
            ? throw new RpcException(StatusCode.Unauthenticated, "the Basic credentials are not USER:PASSWORD")
            : (text[..at], text[(at + 1)..]);
    }
}
