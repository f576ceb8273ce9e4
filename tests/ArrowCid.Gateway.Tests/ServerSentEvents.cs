using System.Net.Http.Headers;

namespace ArrowCid.Gateway.Tests;

/// <summary>One message of a <c>text/event-stream</c>: an event (id, event, data) or comment lines only.</summary>
public sealed record SseMessage(string? Id, string? Event, string? Data, IReadOnlyList<string> Comments)
{
    public bool IsEvent => Data is not null;
}

/// <summary>
/// Reads a Server-Sent Events stream as the WHATWG parser does, message by message (a blank line
/// ends one), so tests see exactly what an EventSource would, comments included.
/// </summary>
public sealed class ServerSentEvents : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private ServerSentEvents(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Opens <paramref name="path"/> with <paramref name="headers"/>; the caller checks the status.</summary>
    public static async Task<ServerSentEvents> OpenAsync(HttpClient http, string path, CancellationToken cancellation, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        return new ServerSentEvents(response, await response.Content.ReadAsStreamAsync(cancellation));
    }

    /// <summary>The next message; throws at the end of the stream.</summary>
    public async Task<SseMessage> NextAsync(CancellationToken cancellation)
    {
        string? id = null;
        string? name = null;
        List<string>? data = null;
        var comments = new List<string>();
        while (true)
        {
            string line = await _reader.ReadLineAsync(cancellation) ?? throw new EndOfStreamException("the event stream ended");
            if (line.Length == 0)
            {
                if (data is not null || comments.Count > 0 || id is not null)
                {
                    return new SseMessage(id, name, data is null ? null : string.Join('\n', data), comments);
                }

                continue;
            }

            if (line[0] == ':')
            {
                comments.Add(line[1..].TrimStart());
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string field = colon < 0 ? line : line[..colon];
            string value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    name = value;
                    break;
                case "data":
                    (data ??= []).Add(value);
                    break;
            }
        }
    }

    /// <summary>The next event, skipping comments.</summary>
    public async Task<SseMessage> NextEventAsync(CancellationToken cancellation)
    {
        while (true)
        {
            var message = await NextAsync(cancellation);
            if (message.IsEvent)
            {
                return message;
            }
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
