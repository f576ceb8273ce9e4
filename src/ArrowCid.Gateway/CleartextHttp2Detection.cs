using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace ArrowCid.Gateway;

/// <summary>
/// HTTP/1.1 and HTTP/2 on one cleartext port. Kestrel speaks HTTP/2 without TLS only on an
/// HTTP/2-only endpoint: on an HTTP/1.1-and-HTTP/2 one it chooses HTTP/1.1, since without ALPN it
/// cannot tell, and answers a client with prior knowledge (RFC 9113 §3.3: curl
/// <c>--http2-prior-knowledge</c>, h2load, gRPC-style clients) with HTTP_1_1_REQUIRED. This
/// connection middleware reads the first bytes without consuming them; when they are the HTTP/2
/// connection preface it tells Kestrel what ALPN would have, "h2", through the connection features
/// Kestrel's protocol selection reads. TLS connections are left alone (ALPN decides).
/// </summary>
internal static class CleartextHttp2Detection
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>
    /// The middleware: detect, then hand the connection on to Kestrel's HTTP layer. A client that
    /// has not sent enough to tell within <paramref name="firstBytesTimeout"/> (Kestrel's time for a
    /// request's headers) is closed: Kestrel's own timeouts start only once it has the connection,
    /// and before this limit a connection that sent fewer than 24 bytes stayed open for good (issue 65).
    /// </summary>
    public static async Task DetectAsync(ConnectionContext connection, ConnectionDelegate next, TimeSpan firstBytesTimeout)
    {
        bool priorKnowledge = false;
        if (connection.Features.Get<ITlsConnectionFeature>() is null)
        {
            // Not linked to ConnectionClosed: Kestrel fires it when the client's FIN arrives, and a
            // client that sent its request and then closed its side is still owed that request (a
            // read cancelled by it lost the bytes already here, and the request with them).
            using var deadline = new CancellationTokenSource(firstBytesTimeout);
            try
            {
                priorKnowledge = await StartsWithPrefaceAsync(connection, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                connection.Abort(new ConnectionAbortedException($"no request line or HTTP/2 preface within {firstBytesTimeout.TotalSeconds:0.###} s"));
                return;
            }
        }

        if (priorKnowledge)
        {
            var h2 = new PriorKnowledge();
            connection.Features.Set<ITlsConnectionFeature>(h2);
            connection.Features.Set<ITlsApplicationProtocolFeature>(h2);
        }

        await next(connection).ConfigureAwait(false);
    }

    private static async Task<bool> StartsWithPrefaceAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            ReadResult read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            long compared = Math.Min(buffer.Length, Preface.Length);
            bool matches = IsPrefix(buffer.Slice(0, compared), Preface.AsSpan(0, (int)compared));

            // Nothing consumed: Kestrel's HTTP layer reads the same bytes again.
            if (!matches || compared == Preface.Length || read.IsCompleted || read.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return matches && compared == Preface.Length;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool IsPrefix(ReadOnlySequence<byte> data, ReadOnlySpan<byte> expected)
    {
        Span<byte> head = stackalloc byte[expected.Length];
        data.CopyTo(head);
        return head.SequenceEqual(expected);
    }

    /// <summary>What ALPN would have negotiated, for a cleartext connection that opened with the HTTP/2 preface.</summary>
    private sealed class PriorKnowledge : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public ReadOnlyMemory<byte> ApplicationProtocol => "h2"u8.ToArray();

        public X509Certificate2? ClientCertificate
        {
            get => null;
            set => throw new NotSupportedException("a cleartext connection has no client certificate");
        }

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
