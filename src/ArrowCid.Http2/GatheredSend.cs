using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ArrowCid.Http2;

/// <summary>
/// One non-blocking <c>sendmsg(2)</c> of a frame's front (header and small head, in an array) and
/// its payload from wherever it lies, a file mapping included. .NET's gathered send takes arrays
/// only, so a mapped chunk's frame went out as two sends, two TCP segments and two wake-ups of the
/// peer (docs/performance.md, issue 13: 2 sends and ~3.8 context switches per chunk fell to ~1.15
/// and ~1.6). Linux only; elsewhere, and for whatever the kernel does not take at once, the caller
/// writes the rest through its stream.
/// </summary>
internal static class GatheredSend
{
    // <sys/socket.h> on Linux: return EAGAIN rather than block (the socket's own mode is .NET's
    // business), and no SIGPIPE on a closed peer (an error return instead).
    private const int MsgDontWait = 0x40;
    private const int MsgNoSignal = 0x4000;

    /// <summary>Whether <see cref="TrySend"/> can send anything on this platform.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Sends as much of <paramref name="front"/> then <paramref name="payload"/> as the socket's
    /// buffer takes now, without blocking. Returns the bytes sent, from the start of
    /// <paramref name="front"/>: 0 when nothing could be sent (a full buffer, a closed socket, an
    /// unsupported platform), which leaves every byte to the caller's ordinary write, and that
    /// write reports any error of the connection.
    /// </summary>
    public static long TrySend(Socket socket, ReadOnlySpan<byte> front, ReadOnlyMemory<byte> payload)
    {
        if (!IsSupported)
        {
            return 0;
        }

        SafeSocketHandle handle = socket.SafeHandle;
        bool added = false;
        try
        {
            // Holds the descriptor open across the call: a concurrent close cannot hand its number
            // to another file in between.
            handle.DangerousAddRef(ref added);
            using MemoryHandle pinned = payload.Pin();
            nint sent = Send(handle.DangerousGetHandle(), front, pinned, payload.Length);
            return sent < 0 ? 0 : sent;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    // Unsafe is fenced here: two iovecs over pinned memory, one system call.
    private static unsafe nint Send(nint descriptor, ReadOnlySpan<byte> front, MemoryHandle payload, int payloadLength)
    {
        fixed (byte* head = front)
        {
            IoVec* parts = stackalloc IoVec[2];
            parts[0] = new IoVec { Base = head, Length = (nuint)front.Length };
            parts[1] = new IoVec { Base = payload.Pointer, Length = (nuint)payloadLength };
            var message = new MessageHeader { Iov = parts, IovLength = 2 };
            return SendMessage(descriptor, &message, MsgDontWait | MsgNoSignal);
        }
    }

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary><c>struct msghdr</c> (glibc and musl, 64-bit and 32-bit: pointers and size_t fields, an int of flags).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [DllImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern unsafe nint SendMessage(nint socket, MessageHeader* message, int flags);
}
