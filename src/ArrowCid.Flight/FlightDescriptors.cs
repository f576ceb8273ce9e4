namespace ArrowCid.Flight;

/// <summary>How an ArrowCid node reads a Flight descriptor's PATH, shared by the client that writes one and the service that reads it (docs/flight.md).</summary>
public static class FlightDescriptors
{
    /// <summary>
    /// Whether DoPut reads a PATH as tags: every element is <c>key=value</c> (a '=' after at least
    /// one character). Any other non-empty PATH names the dataset (its elements joined with '/').
    /// </summary>
    /// <param name="elements">The PATH's elements.</param>
    /// <returns>Whether they are tags.</returns>
    public static bool IsTagPath(IReadOnlyCollection<string> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        return elements.Count > 0 && elements.All(e => e.IndexOf('=', StringComparison.Ordinal) > 0);
    }
}
