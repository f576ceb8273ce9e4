namespace ArrowCid.Arrow;

/// <summary>
/// Where in its input a format error was found, told the same way by every reader of ArrowCid:
/// Arrow IPC (<see cref="ArrowFormatException"/>), content (CIDs, DAG-CBOR, CAR, manifests),
/// Parquet and its thrift metadata, CSV. A caller reports the position without knowing the format.
/// </summary>
public interface IFormatErrorPosition
{
    /// <summary>Byte offset (character offset for text) in the input being read where the problem was found, when known.</summary>
    long? Offset { get; }

    /// <summary>The part of the structure at fault, as the reader names it (a field path, a row group and column, a CSV column), when known.</summary>
    string? Path { get; }
}
