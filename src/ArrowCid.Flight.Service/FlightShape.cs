using ArrowCid.Content.Datasets;

namespace ArrowCid.Flight.Service;

/// <summary>What a FlightInfo reports about content: its schema message (encapsulated IPC form, as Flight expects), rows, data bytes and endpoints.</summary>
/// <param name="SchemaMessage">0xFFFFFFFF, int32 length, the Schema Message flatbuffer.</param>
/// <param name="Rows">Rows in the batch or table.</param>
/// <param name="Bytes">Canonical bytes of the batch, or of all the table's chunks.</param>
/// <param name="Chunks">Chunks of a table held here; null for a batch or content described by a peer.</param>
/// <param name="Endpoints">The chunk ranges of a table served as several endpoints; null for one endpoint naming the whole CID.</param>
internal sealed record FlightShape(byte[] SchemaMessage, long Rows, long Bytes, long? Chunks = null, IReadOnlyList<ChunkRange>? Endpoints = null);
