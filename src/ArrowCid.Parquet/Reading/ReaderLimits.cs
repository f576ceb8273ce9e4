namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Caps that keep a hostile file from making the reader allocate more than its bytes justify.
/// RLE can legitimately describe many levels in few bytes (an all-null page), so a page may
/// claim up to <see cref="LevelsPerPageByte"/> slots per uncompressed byte plus a fixed allowance.
/// </summary>
internal static class ReaderLimits
{
    public const int LevelsPerPageByte = 64;
    public const int PageSlotAllowance = 1 << 20;

    public static bool PageSlotsPlausible(int numValues, int uncompressedPageSize) =>
        numValues <= (long)uncompressedPageSize * LevelsPerPageByte + PageSlotAllowance;
}
