using System.Collections.Concurrent;

namespace ArrowCid.Native;

/// <summary>
/// The opaque handles C callers hold (<c>arrowcid_repo*</c>, <c>arrowcid_shm*</c>): numbers, not
/// addresses, looked up here. A number is never reused, so a handle used after its close — or a
/// pointer that was never a handle — is found missing and gets ARROWCID_E_CLOSED instead of
/// touching freed memory.
/// </summary>
internal static class NativeHandles
{
    private static readonly ConcurrentDictionary<nint, IDisposable> Live = new();

    // Odd and large: an accidental small integer or an aligned heap pointer is not a handle.
    private static long s_next = 0x4143_0000_0001;

    /// <summary>Registers <paramref name="target"/> and returns its handle.</summary>
    public static nint Add(IDisposable target)
    {
        nint handle = (nint)Interlocked.Add(ref s_next, 2);
        Live[handle] = target;
        return handle;
    }

    /// <summary>The live object behind <paramref name="handle"/>.</summary>
    /// <exception cref="NativeCallException">NULL, closed, or not a handle of this kind.</exception>
    public static T Get<T>(nint handle, string what)
        where T : class, IDisposable
    {
        if (handle == 0)
        {
            throw new NativeCallException(NativeResult.InvalidArgument, $"{what} is NULL");
        }

        return Live.TryGetValue(handle, out var target) && target is T typed
            ? typed
            : throw new NativeCallException(NativeResult.Closed, $"{what} is closed (or was never opened)");
    }

    /// <summary>Removes and disposes the object behind <paramref name="handle"/>; false when there was none.</summary>
    public static bool Close<T>(nint handle)
        where T : class, IDisposable
    {
        if (handle == 0 || !Live.TryGetValue(handle, out var target) || target is not T || !Live.TryRemove(handle, out target))
        {
            return false;
        }

        target.Dispose();
        return true;
    }
}
