using System.Runtime.InteropServices;

namespace ArrowCid.Arrow.Tests.CData;

/// <summary>
/// A stand-in for a native producer: exports a record batch { x: int32 } of the given values as a
/// struct array whose buffers live in native memory, and counts the release calls of the parent
/// and of the child (which only the parent's release may make, as the spec requires).
/// </summary>
internal sealed class CountingProducer
{
    private readonly CAbi.ReleaseCallback _parentRelease;
    private readonly CAbi.ReleaseCallback _childRelease;
    private readonly List<nint> _allocations = [];
    private bool _inParentRelease;

    public CountingProducer()
    {
        _parentRelease = ReleaseParent;
        _childRelease = ReleaseChild;
    }

    public int ParentReleases { get; private set; }

    public int ChildReleases { get; private set; }

    public int ChildReleasesOutsideParent { get; private set; }

    /// <summary>Fills the ArrowArray at <paramref name="output"/>; <paramref name="childLength"/> defaults to the value count.</summary>
    public void Export(nint output, int[] values, int? childLength = null)
    {
        nint data = Keep(Marshal.AllocHGlobal(Math.Max(1, values.Length * 4)));
        Marshal.Copy(values, 0, data, values.Length);
        nint childBuffers = Keep(CAbi.Alloc(16));
        Marshal.WriteIntPtr(childBuffers, 8, data);
        nint child = Keep(CAbi.Alloc(CAbi.ArraySize));
        CAbi.WriteLong(child, CAbi.ArrayLength, childLength ?? values.Length);
        CAbi.WriteLong(child, CAbi.ArrayNBuffers, 2);
        CAbi.Write(child, CAbi.ArrayBuffers, childBuffers);
        CAbi.Write(child, CAbi.ArrayRelease, Marshal.GetFunctionPointerForDelegate(_childRelease));

        nint parentBuffers = Keep(CAbi.Alloc(8));
        nint children = Keep(CAbi.Alloc(8));
        Marshal.WriteIntPtr(children, 0, child);
        CAbi.WriteLong(output, CAbi.ArrayLength, values.Length);
        CAbi.WriteLong(output, CAbi.ArrayNullCount, 0);
        CAbi.WriteLong(output, CAbi.ArrayOffset, 0);
        CAbi.WriteLong(output, CAbi.ArrayNBuffers, 1);
        CAbi.WriteLong(output, CAbi.ArrayNChildren, 1);
        CAbi.Write(output, CAbi.ArrayBuffers, parentBuffers);
        CAbi.Write(output, CAbi.ArrayChildren, children);
        CAbi.Write(output, CAbi.ArrayDictionary, 0);
        CAbi.Write(output, CAbi.ArrayRelease, Marshal.GetFunctionPointerForDelegate(_parentRelease));
    }

    private nint Keep(nint p)
    {
        _allocations.Add(p);
        return p;
    }

    private void ReleaseParent(nint array)
    {
        _inParentRelease = true;
        nint child = Marshal.ReadIntPtr(CAbi.Read(array, CAbi.ArrayChildren), 0);
        CAbi.Release(child, CAbi.ArrayRelease);
        _inParentRelease = false;
        foreach (nint p in _allocations)
        {
            Marshal.FreeHGlobal(p);
        }

        _allocations.Clear();
        CAbi.Write(array, CAbi.ArrayRelease, 0);
        ParentReleases++;
    }

    private void ReleaseChild(nint array)
    {
        if (!_inParentRelease)
        {
            ChildReleasesOutsideParent++;
        }

        ChildReleases++;
        CAbi.Write(array, CAbi.ArrayRelease, 0);
    }
}
