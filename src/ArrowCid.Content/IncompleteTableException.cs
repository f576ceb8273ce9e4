using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content;

/// <summary>
/// A table whose root is here but not every block it links: a manifest node or a chunk is missing
/// (a CAR imported without its base, say). Nothing of such a table is written or printed, since it
/// would not be the table.
/// </summary>
public sealed class IncompleteTableException : KeyNotFoundException
{
    /// <summary>Creates the exception with a default message.</summary>
    public IncompleteTableException()
        : base("The table is incomplete here.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is missing.</param>
    public IncompleteTableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner cause.</summary>
    /// <param name="message">What is missing.</param>
    /// <param name="innerException">The underlying cause.</param>
    public IncompleteTableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a table and the first block of it that is missing.</summary>
    /// <param name="table">The table's CID.</param>
    /// <param name="missing">The first block (in table order) that is not here.</param>
    public IncompleteTableException(Cid table, Cid missing)
        : base($"table {table} is incomplete here: its block {missing} is missing")
    {
        Table = table;
        Missing = missing;
    }

    /// <summary>The table, when known.</summary>
    public Cid? Table { get; }

    /// <summary>The first missing block, when known.</summary>
    public Cid? Missing { get; }
}
