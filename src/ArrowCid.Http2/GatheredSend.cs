using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ArrowCid.Http2;

/// <summary>
/// One non-blocking <c>sendmsg(2)</c> of frames' fronts (headers and small heads, in an array) and
/// their payloads from wherever they lie, a file mapping included. .NET's gathered send takes
/// arrays only, so a mapped chunk's frame went out as two sends, two TCP segments and two wake-ups
/// of the peer (docs/performance.md, issue 13: 2 sends and ~3.8 context switches per chunk fell to
/// ~1.15 and ~1.6); a run of 16 KiB frames goes as one call too. Linux only; elsewhere, and for
/// whatever the kernel does not take at once, the caller writes the rest through its stream.
/// </summary>
internal static class GatheredSend
{
    // <sys/socket.h> on Linux: return EAGAIN rather than block (the socket's own mode is .NET's
    // business), and no SIGPIPE on a closed peer (an error return instead).
    private const int MsgDontWait = 0x40;
    private const int MsgNoSignal = 0x4000;

    /// <summary>Whether <see cref="TrySend"/> can send anything on this platform.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>One piece of a gathered send: bytes of the fronts buffer, or of the payload.</summary>
    internal readonly record struct Piece(bool InFront, int Offset, int Length);

    /// <summary>
    /// Sends as much of <paramref name="pieces"/> — each a range of <paramref name="fronts"/> (frame
    /// headers and small heads) or of <paramref name="payload"/>, in order — as the socket's buffer
    /// takes now, in one <c>sendmsg(2)</c> without blocking. Returns the bytes sent from the first
    /// piece on: 0 when nothing could be sent (a full buffer, a closed socket, an unsupported
    /// platform), which leaves every byte to the caller's ordinary writes, and those report any
    /// error of the connection.
    /// </summary>
    public static long TrySend(Socket socket, byte[] fronts, ReadOnlyMemory<byte> payload, ReadOnlySpan<Piece> pieces)
    {
        if (!IsSupported || pieces.Length > MaxPieces)
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
            nint sent = Send(handle.DangerousGetHandle(), fronts, pinned, payload.Length, pieces);
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

    // Well under Linux's IOV_MAX (1,024), and small enough for the stack.
    private const int MaxPieces = 128;

    // Unsafe is fenced here: one iovec a piece over pinned memory, one system call. Each piece was
    // made from its buffer's length by the caller; they are checked again here before any pointer is formed.
    private static unsafe nint Send(nint descriptor, byte[] fronts, MemoryHandle payload, int payloadLength, ReadOnlySpan<Piece> pieces)
    {
        fixed (byte* front = fronts)
        {
            IoVec* parts = stackalloc IoVec[pieces.Length];
            for (int i = 0; i < pieces.Length; i++)
            {
                var piece = pieces[i];
                int limit = piece.InFront ? fronts.Length : payloadLength;
                if ((uint)piece.Offset > (uint)limit || (uint)piece.Length > (uint)(limit - piece.Offset))
                {
                    throw new ArgumentOutOfRangeException(nameof(pieces), $"piece {i} lies outside its buffer");
                }

                parts[i] = new IoVec { Base = (piece.InFront ? front : (byte*)payload.Pointer) + piece.Offset, Length = (nuint)piece.Length };
            }

            var message = new MessageHeader { Iov = parts, IovLength = (nuint)pieces.Length };
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
