namespace ArrowCid.Native;

/// <summary>The result codes of include/arrowcid.h (ARROWCID_OK and the negative ARROWCID_E_* codes).</summary>
internal static class NativeResult
{
    public const int Ok = 0;
    public const int NotFound = -1;
    public const int InvalidArgument = -2;
    public const int Corrupt = -3;
    public const int Io = -4;
    public const int Timeout = -5;
    public const int Closed = -6;
    public const int BufferTooSmall = -7;
    public const int Stream = -8;
    public const int Internal = -9;
}

/// <summary>A failure that already knows its result code (a bad argument, a closed handle, a short buffer, the caller's stream).</summary>
internal sealed class NativeCallException : Exception
{
    public NativeCallException(int code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    public NativeCallException()
    {
    }

    public NativeCallException(string message)
        : base(message)
    {
    }

    public NativeCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The ARROWCID_E_* code the caller gets.</summary>
    public int Code { get; } = NativeResult.Internal;
}
