namespace ArrowCid.Content.DagCbor;

/// <summary>The eight CBOR major types (RFC 8949 section 3.1), the top three bits of a head byte.</summary>
internal enum CborMajorType : byte
{
    UnsignedInteger = 0,
    NegativeInteger = 1,
    ByteString = 2,
    TextString = 3,
    Array = 4,
    Map = 5,
    Tag = 6,
    SimpleOrFloat = 7,
}
