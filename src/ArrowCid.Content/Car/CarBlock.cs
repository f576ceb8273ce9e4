using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>One verified block from a CAR: its CID, its bytes, and where its section starts.</summary>
/// <param name="Cid">The block's CID; the data has been checked to hash to it.</param>
/// <param name="Data">The block bytes.</param>
/// <param name="SectionOffset">Offset of the section's length varint from the start of the CARv1 payload.</param>
public readonly record struct CarBlock(Cid Cid, ReadOnlyMemory<byte> Data, long SectionOffset);
