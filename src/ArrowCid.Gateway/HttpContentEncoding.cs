using System.Buffers;
using System.IO.Compression;
using ArrowCid.Arrow.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ArrowCid.Gateway;

/// <summary>An HTTP content coding the gateway applies to a body (RFC 9110 §8.4).</summary>
internal enum ContentCoding
{
    /// <summary>The body as it is.</summary>
    Identity,

    /// <summary>Zstandard (RFC 8878): one frame per 1 MiB written, which decoders read as one stream.</summary>
    Zstd,

    /// <summary>gzip (RFC 1952).</summary>
    Gzip,

    /// <summary>Brotli (RFC 7932).</summary>
    Brotli,
}

/// <summary>
/// Chooses a body's <c>Content-Encoding</c> from the request's <c>Accept-Encoding</c> (the highest
/// quality among zstd, gzip and br; zstd, then gzip, then br on a tie) and wraps the response body
/// in it. Bodies that are compressed already (Arrow IPC with <c>codecs</c>, Parquet) are sent as
/// they are: one compression, never two.
/// </summary>
internal static class HttpContentEncoding
{
    private static readonly (string Token, ContentCoding Coding)[] Offered =
    [
        ("zstd", ContentCoding.Zstd), ("gzip", ContentCoding.Gzip), ("br", ContentCoding.Brotli),
    ];

    /// <summary>The coding <paramref name="request"/> accepts best; identity when it names none of ours (or a malformed header).</summary>
    public static ContentCoding Choose(HttpRequest request)
    {
        var header = request.Headers.AcceptEncoding;
        if (header.Count == 0 || !StringWithQualityHeaderValue.TryParseList(header, out var ranges))
        {
            return ContentCoding.Identity;
        }

        ContentCoding best = ContentCoding.Identity;
        double bestQuality = 0;
        foreach (var (token, coding) in Offered)
        {
            double quality = QualityOf(ranges, token);
            if (quality > bestQuality)
            {
                (best, bestQuality) = (coding, quality);
            }
        }

        return best;
    }

    /// <summary>The token of a coding for <c>Content-Encoding</c>; null for identity.</summary>
    public static string? Token(ContentCoding coding) => coding switch
    {
        ContentCoding.Zstd => "zstd",
        ContentCoding.Gzip => "gzip",
        ContentCoding.Brotli => "br",
        _ => null,
    };

    /// <summary>A stream that encodes what is written to it onto <paramref name="body"/> (left open); dispose it to finish the coding.</summary>
    public static Stream Wrap(Stream body, ContentCoding coding) => coding switch
    {
        ContentCoding.Zstd => new ZstdFrameStream(body),
        ContentCoding.Gzip => new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true),
        ContentCoding.Brotli => new BrotliStream(body, CompressionLevel.Fastest, leaveOpen: true),
        _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "identity needs no wrapping"),
    };

    private static double QualityOf(IList<StringWithQualityHeaderValue> ranges, string token)
    {
        double? wildcard = null;
        foreach (var range in ranges)
        {
            string value = range.Value.Value ?? string.Empty;
            if (value.Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return range.Quality ?? 1.0;
            }

            if (value == "*")
            {
                wildcard = range.Quality ?? 1.0;
            }
        }

        // "*" stands for codings not named, but only zstd and gzip are worth choosing through it.
        return token is "br" ? 0 : wildcard ?? 0;
    }

    /// <summary>
    /// Zstandard as a stream of independent frames: what is written is gathered into 1 MiB and
    /// compressed as one frame (RFC 8878 §3.1: a decoder reads consecutive frames as one content).
    /// </summary>
    private sealed class ZstdFrameStream(Stream inner) : Stream
    {
        private const int FrameBytes = 1 << 20;

        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(FrameBytes);
        private byte[] _compressed = ArrayPool<byte>.Shared.Rent(Zstd.CompressBound(FrameBytes));
        private int _filled;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                int taken = Fill(buffer);
                buffer = buffer[taken..];
                if (_filled == FrameBytes)
                {
                    inner.Write(_compressed, 0, CompressFrame());
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (!buffer.IsEmpty)
            {
                int taken = Fill(buffer.Span);
                buffer = buffer[taken..];
                if (_filled == FrameBytes)
                {
                    await inner.WriteAsync(_compressed.AsMemory(0, CompressFrame()), cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public override void Flush()
        {
            if (_filled > 0)
            {
                inner.Write(_compressed, 0, CompressFrame());
            }

            inner.Flush();
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (_filled > 0)
            {
                await inner.WriteAsync(_compressed.AsMemory(0, CompressFrame()), cancellationToken).ConfigureAwait(false);
            }

            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            if (_buffer.Length > 0)
            {
                await FlushAsync(CancellationToken.None).ConfigureAwait(false);
                Release();
            }

            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _buffer.Length > 0)
            {
                Flush();
                Release();
            }

            base.Dispose(disposing);
        }

        private int Fill(ReadOnlySpan<byte> source)
        {
            int taken = Math.Min(source.Length, FrameBytes - _filled);
            source[..taken].CopyTo(_buffer.AsSpan(_filled));
            _filled += taken;
            return taken;
        }

        private int CompressFrame()
        {
            int length = Zstd.Compress(_buffer.AsSpan(0, _filled), _compressed);
            _filled = 0;
            return length;
        }

        private void Release()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            ArrayPool<byte>.Shared.Return(_compressed);
            _buffer = [];
            _compressed = [];
        }
    }
}
