// Arrow type facts the canonical form needs, read from apache-arrow DataType objects. The type
// ids are the flatbuffer union tags of format/Schema.fbs (Dictionary: -1).

export const T = Object.freeze({
  Dictionary: -1, Null: 1, Int: 2, Float: 3, Binary: 4, Utf8: 5, Bool: 6, Decimal: 7, Date: 8,
  Time: 9, Timestamp: 10, Interval: 11, List: 12, Struct: 13, Union: 14, FixedSizeBinary: 15,
  FixedSizeList: 16, Map: 17, Duration: 18, LargeBinary: 19, LargeUtf8: 20, LargeList: 21,
  RunEndEncoded: 22, BinaryView: 23, Utf8View: 24, ListView: 25, LargeListView: 26,
});

/** A type this implementation cannot put in canonical form (apache-arrow cannot hold it either). */
export class UnsupportedTypeError extends Error {
  constructor(type) {
    super(`arrowcid: the Arrow type ${String(type)} (type id ${type?.typeId}) has no canonical form in this client`);
    this.name = 'UnsupportedTypeError';
  }
}

/** Byte width of a fixed-width type, or 0 when the type is not fixed width (Bool: 0). */
export function fixedWidth(type) {
  switch (type.typeId) {
    case T.Int: return type.bitWidth >> 3;
    case T.Float: return type.precision === 0 ? 2 : type.precision === 1 ? 4 : 8;
    case T.Decimal: return (type.bitWidth ?? 128) >> 3;
    case T.Date: return type.unit === 0 ? 4 : 8;
    case T.Time: return type.bitWidth >> 3;
    case T.Timestamp: return 8;
    case T.Duration: return 8;
    case T.Interval: return type.unit === 0 ? 4 : type.unit === 1 ? 8 : 16;
    case T.FixedSizeBinary: return type.byteWidth;
    default: return 0;
  }
}

export const isBinaryLike = (id) => id === T.Binary || id === T.Utf8 || id === T.LargeBinary || id === T.LargeUtf8;
export const isLarge = (id) => id === T.LargeBinary || id === T.LargeUtf8 || id === T.LargeList;
export const isView = (id) => id === T.BinaryView || id === T.Utf8View;
export const isListLike = (id) => id === T.List || id === T.LargeList || id === T.Map;
export const isDenseUnion = (type) => type.typeId === T.Union && type.mode === 1;
