using System.Runtime.InteropServices;

namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// The deprecated INT96 physical value, 12 bytes little-endian: by convention (Impala, Spark)
/// the first 8 bytes are nanoseconds within the day and the last 4 the Julian day number.
/// </summary>
/// <param name="NanosOfDay">Bytes 0..7.</param>
/// <param name="JulianDay">Bytes 8..11.</param>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct Int96(long NanosOfDay, int JulianDay);
