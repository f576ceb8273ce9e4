namespace ArrowCid.Flight.Service;

/// <summary>What a FlightInfo reports about content: its schema message (encapsulated IPC form, as Flight expects), rows and data bytes.</summary>
/// <param name="SchemaMessage">0xFFFFFFFF, int32 length, the Schema Message flatbuffer.</param>
/// <param name="Rows">Rows in the batch or dataset.</param>
/// <param name="Bytes">Canonical bytes of the batch, or of all the dataset's batches.</param>
internal sealed record FlightShape(byte[] SchemaMessage, long Rows, long Bytes);
