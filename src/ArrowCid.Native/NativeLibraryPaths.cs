using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArrowCid.Native;

/// <summary>
/// Where libarrowcid's own native dependency (SQLite, for the registry) is found. A shared
/// library is loaded into someone else's process — python3, a C program — whose executable's
/// folder is where .NET would look; the SQLite library ships beside libarrowcid.so instead, so
/// its imports are resolved from this library's own folder (found with dladdr), then as usual.
/// That SQLite build calls libm (trunc, log, pow…) without naming it as a dependency: it relies on
/// the process having libm loaded, as a .NET host, a C++ program or python3 has, but a plain C
/// program linked with -larrowcid alone has not. So libm is made global before SQLite is loaded.
/// </summary>
internal static unsafe class NativeLibraryPaths
{
    private static readonly string? Folder = OwnFolder();

#pragma warning disable CA2255 // this library is the application here: it must set the resolver before any entry point opens SQLite
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void ResolveBesideThisLibrary()
    {
        foreach (var assembly in new[] { typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly })
        {
            NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        LoadTheMathLibraryGlobally();
        if (Folder is not null)
        {
            foreach (string file in new[] { $"lib{name}.so", $"{name}.so" })
            {
                if (NativeLibrary.TryLoad(Path.Combine(Folder, file), out nint handle))
                {
                    return handle;
                }
            }
        }

        return 0; // the default search
    }

    // RTLD_GLOBAL puts libm's symbols in the scope every later dlopen searches (a library loaded
    // as a dependency of ours, RTLD_LOCAL, would not be). Loading it again only counts a reference.
    private static void LoadTheMathLibraryGlobally()
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        fixed (byte* name = "libm.so.6\0"u8)
        {
            _ = dlopen(name, RtldNow | RtldGlobal);
        }
    }

    // The folder of the file this code was loaded from: libarrowcid.so when published, or nothing
    // useful (the runtime's folder) when the assembly runs as managed code, as in tests.
    private static string? OwnFolder()
    {
        delegate* unmanaged<byte*> export = &NativeExports.ArrowCidVersion;
        DlInfo info;
        if (dladdr(export, &info) == 0 || info.FileName == null)
        {
            return null;
        }

        return Path.GetDirectoryName(Marshal.PtrToStringUTF8((nint)info.FileName));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public byte* FileName;
        public void* Base;
        public byte* SymbolName;
        public void* SymbolAddress;
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern nint dlopen(byte* file, int mode);

    [DllImport("libc", EntryPoint = "dladdr")]
    private static extern int dladdr(void* address, DlInfo* info);
}
