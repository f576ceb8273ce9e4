namespace ArrowCid.Bench;

/// <summary>A benchmark cannot run or its peer disagreed with it; the message says why in one line, for the user.</summary>
public sealed class BenchmarkException : Exception
{
    /// <summary>A failure described by <paramref name="message"/>.</summary>
    public BenchmarkException(string message) : base(message) { }

    /// <summary>A failure described by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public BenchmarkException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>A failure with a generic message.</summary>
    public BenchmarkException() : base("the benchmark failed") { }
}
