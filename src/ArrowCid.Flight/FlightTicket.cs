using System.Globalization;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Protocol;
using Google.Protobuf;

namespace ArrowCid.Flight;

/// <summary>
/// What a DoGet ticket names, as UTF-8 text: <c>CID</c> for the whole table (or block), or
/// <c>CID?chunks=FIRST-END</c> for the table's chunks FIRST (inclusive) to END (exclusive), counted
/// from 0 in row order — the tickets of a large table's FlightInfo endpoints (docs/flight.md).
/// </summary>
/// <param name="Cid">The table (or block) CID.</param>
/// <param name="Chunks">The chunk range, or null for all of it.</param>
public sealed record FlightTicket(Cid Cid, ChunkRange? Chunks = null)
{
    private const string ChunksQuery = "?chunks=";

    /// <summary>The ticket's text: the CID, then <c>?chunks=FIRST-END</c> for a range.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Chunks is { } range
        ? string.Create(CultureInfo.InvariantCulture, $"{Cid}{ChunksQuery}{range.First}-{range.End}")
        : Cid.ToString();

    /// <summary>The ticket as Flight carries it.</summary>
    /// <returns>The ticket.</returns>
    public Ticket ToTicket() => new() { Ticket_ = ByteString.CopyFromUtf8(ToString()) };

    /// <summary>Parses a ticket's text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="ticket">The ticket, when the text is one.</param>
    /// <param name="problem">Why it is not, otherwise.</param>
    /// <returns>Whether the text is a ticket.</returns>
    public static bool TryParse(string text, out FlightTicket? ticket, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        ticket = null;
        text = text.Trim();
        int query = text.IndexOf('?', StringComparison.Ordinal);
        string cidText = query < 0 ? text : text[..query];
        if (!Cid.TryParse(cidText, out var cid))
        {
            problem = $"'{Shorten(cidText)}' is not a CID";
            return false;
        }

        if (query < 0)
        {
            ticket = new FlightTicket(cid);
            problem = null;
            return true;
        }

        string rest = text[query..];
        if (!rest.StartsWith(ChunksQuery, StringComparison.Ordinal))
        {
            problem = $"'{Shorten(rest)}' after the CID is not ?chunks=FIRST-END (decimal chunk indexes)";
            return false;
        }

        if (!ChunkRange.TryParse(rest.AsSpan(ChunksQuery.Length), out var range, out problem))
        {
            // An empty range is said as ChunkRange says it; anything else is not the ticket's form.
            problem = ChunkRange.IsWellFormed(rest.AsSpan(ChunksQuery.Length)) ? problem : $"'{Shorten(rest)}' after the CID is not ?chunks=FIRST-END (decimal chunk indexes)";
            return false;
        }

        ticket = new FlightTicket(cid, range);
        problem = null;
        return true;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
