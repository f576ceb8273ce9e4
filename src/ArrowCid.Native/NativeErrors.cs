using System.Runtime.InteropServices;
using System.Text;
using ArrowCid.Content;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.SharedMemory;

namespace ArrowCid.Native;

/// <summary>
/// The boundary's one rule: no managed exception crosses it. Each entry point runs its body
/// through <see cref="Run"/>, which turns any exception into an ARROWCID_E_* code and records its
/// message as this thread's last error (<c>arrowcid_last_error</c>).
/// </summary>
internal static unsafe class NativeErrors
{
    private static readonly byte* Empty = NativeText.Permanent("");

    // This thread's last message, NUL-terminated in native memory; replaced (and the old one
    // freed) by the thread's next failure, freed when the thread ends.
    [ThreadStatic]
    private static LastErrorText? t_last;

    /// <summary>This thread's last failure message, or "".</summary>
    public static byte* LastError => t_last is { } last ? last.Text : Empty;

    /// <summary>Runs an entry point's body: its result, or the code of the exception it threw (and the message kept).</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
#pragma warning disable CA1031 // nothing may cross into native code: every failure becomes a code and a message
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Fail(CodeOf(e), MessageOf(e));
        }
    }

    /// <summary>Records <paramref name="message"/> as this thread's last error and returns <paramref name="code"/>.</summary>
    public static int Fail(int code, string message)
    {
        var last = t_last ??= new LastErrorText();
        last.Set(message);
        return code;
    }

    /// <summary>The code a failure maps to: what it is, not where it came from.</summary>
    public static int CodeOf(Exception e) => e switch
    {
        NativeCallException call => call.Code,
        ShmStoreFullException => NativeResult.Io,
        BlockNotFoundException or DatasetNotFoundException or ShmSegmentNotFoundException or FileNotFoundException => NativeResult.NotFound,
        NodeException { Kind: NodeErrorKind.NotFound } => NativeResult.NotFound,
        BlockCorruptedException or ShmSegmentCorruptedException or ShmFeedCorruptedException => NativeResult.Corrupt,
        TimeoutException => NativeResult.Timeout,
        ObjectDisposedException => NativeResult.Closed,
        ArgumentException or FormatException or Repository.Export.TableSchemaMismatchException => NativeResult.InvalidArgument,
        IOException or UnauthorizedAccessException => NativeResult.Io,
        // A full registry database is a full disk too, whatever layer noticed.
        _ when Repository.StorageFaults.IsFull(e) => NativeResult.Io,
        _ => NativeResult.Internal,
    };

    // Expected failures say what went wrong in their own words; an unexpected one also names its
    // type and every inner exception, since its message alone (a type initializer failed) rarely does.
    private static string MessageOf(Exception e)
    {
        if (e is NativeCallException or IOException or FormatException or ArgumentException or KeyNotFoundException)
        {
            return e.Message;
        }

        var text = new StringBuilder();
        for (var current = e; current is not null; current = current.InnerException)
        {
            text.Append(text.Length == 0 ? "" : " <- ").Append(current.GetType().Name).Append(": ").Append(current.Message);
        }

        return text.ToString();
    }

    private sealed class LastErrorText
    {
        public byte* Text { get; private set; }

        public void Set(string message)
        {
            var old = Text;
            Text = NativeText.Allocate(message);
            NativeMemory.Free(old);
        }

        ~LastErrorText() => NativeMemory.Free(Text);
    }
}

/// <summary>NUL-terminated UTF-8 text in native memory, and text read from a caller's pointer.</summary>
internal static unsafe class NativeText
{
    /// <summary>Text that lives as long as the library (never freed).</summary>
    public static byte* Permanent(string text) => Allocate(text);

    /// <summary>Text the caller frees with <c>arrowcid_free</c> (NativeMemory.Free).</summary>
    public static byte* Allocate(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        var bytes = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(bytes, length));
        bytes[length] = 0;
        return bytes;
    }

    /// <summary>A caller's NUL-terminated UTF-8 argument; null when the pointer is.</summary>
    /// <exception cref="NativeCallException">The bytes are not UTF-8.</exception>
    public static string? Read(byte* text, string what)
    {
        if (text == null)
        {
            return null;
        }

        var bytes = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, $"{what} is not valid UTF-8", e);
        }
    }

    /// <summary>A caller's required argument.</summary>
    /// <exception cref="NativeCallException">NULL, or not UTF-8.</exception>
    public static string Required(byte* text, string what) =>
        Read(text, what) ?? throw new NativeCallException(NativeResult.InvalidArgument, $"{what} is NULL");

    /// <summary>Refuses a buffer that could not take <paramref name="needed"/> bytes (it then holds "").</summary>
    /// <exception cref="NativeCallException">A NULL or too small buffer.</exception>
    public static void RequireCapacity(byte* buffer, nuint capacity, int needed, string what)
    {
        if (buffer == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, $"{what} buffer is NULL");
        }

        if (capacity < (nuint)needed)
        {
            if (capacity > 0)
            {
                buffer[0] = 0;
            }

            throw new NativeCallException(NativeResult.BufferTooSmall, $"{what} needs up to {needed} bytes, the buffer has {capacity}");
        }
    }

    /// <summary>Writes <paramref name="text"/> NUL-terminated into the caller's buffer of <paramref name="capacity"/> bytes.</summary>
    /// <exception cref="NativeCallException">A NULL buffer, or one too small (it then holds "").</exception>
    public static void Write(string text, byte* buffer, nuint capacity, string what)
    {
        if (buffer == null)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, $"{what} buffer is NULL");
        }

        int length = Encoding.UTF8.GetByteCount(text);
        if ((nuint)length + 1 > capacity)
        {
            if (capacity > 0)
            {
                buffer[0] = 0;
            }

            throw new NativeCallException(NativeResult.BufferTooSmall, $"{what} needs {length + 1} bytes, the buffer has {capacity}");
        }

        Encoding.UTF8.GetBytes(text, new Span<byte>(buffer, length));
        buffer[length] = 0;
    }
}
