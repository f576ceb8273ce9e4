using System.Runtime.InteropServices;

namespace ArrowCid.Registry;

/// <summary>
/// Unicode NFC through the system's ICU (libicuuc). The project runs .NET in invariant-globalization
/// mode, where <see cref="string.Normalize()"/> leaves non-ASCII text as it is, so names are
/// normalised here instead: the ICU library is found as .NET itself finds it (its versioned file
/// name, its versioned symbol names), once. Where no ICU is installed, text is left as it is and
/// <see cref="IsAvailable"/> says so.
/// </summary>
internal static class UnicodeNfc
{
    private static readonly Lazy<Icu?> Library = new(Icu.TryLoad);

    /// <summary>Whether the system's ICU was found, so <see cref="Normalize"/> normalises.</summary>
    public static bool IsAvailable => Library.Value is not null;

    /// <summary><paramref name="text"/> in NFC; ASCII text, and any text where ICU is missing, as it is.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (System.Text.Ascii.IsValid(text) || Library.Value is not { } icu)
        {
            return text;
        }

        return icu.Normalize(text);
    }

    private sealed class Icu
    {
        // UChar* is UTF-16, as .NET strings are; lengths are in UTF-16 units; status 0 is U_ZERO_ERROR, > 0 a failure.
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr GetInstance(ref int status);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl, CharSet = CharSet.Unicode)]
        private delegate int NormalizeText(IntPtr normalizer, string source, int length, [Out] char[]? destination, int capacity, ref int status);

        private readonly IntPtr _nfc;
        private readonly NormalizeText _normalize;

        private Icu(IntPtr nfc, NormalizeText normalize)
        {
            _nfc = nfc;
            _normalize = normalize;
        }

        public string Normalize(string text)
        {
            // NFC of UTF-16 text is at most three times as long (Unicode's stated bound); a first try
            // at twice the length nearly always fits.
            for (int capacity = text.Length * 2 + 16; ; capacity = text.Length * 3 + 16)
            {
                char[] output = new char[capacity];
                int status = 0;
                int length = _normalize(_nfc, text, text.Length, output, capacity, ref status);
                if (status <= 0)
                {
                    return new string(output, 0, length);
                }

                if (capacity >= text.Length * 3 + 16)
                {
                    // Not text ICU can normalise (it was checked well-formed before): keep it as it is.
                    return text;
                }
            }
        }

        public static Icu? TryLoad()
        {
            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsFreeBSD())
            {
                return null;
            }

            for (int version = 90; version >= 50; version--)
            {
                if (!NativeLibrary.TryLoad($"libicuuc.so.{version}", out IntPtr library))
                {
                    continue;
                }

                foreach (string suffix in new[] { $"_{version}", string.Empty })
                {
                    if (NativeLibrary.TryGetExport(library, "unorm2_getNFCInstance" + suffix, out IntPtr getInstance)
                        && NativeLibrary.TryGetExport(library, "unorm2_normalize" + suffix, out IntPtr normalize))
                    {
                        int status = 0;
                        IntPtr nfc = Marshal.GetDelegateForFunctionPointer<GetInstance>(getInstance)(ref status);
                        return status <= 0 && nfc != IntPtr.Zero ? new Icu(nfc, Marshal.GetDelegateForFunctionPointer<NormalizeText>(normalize)) : null;
                    }
                }
            }

            return null;
        }
    }
}
