using System.Buffers.Binary;

namespace ArrowCid.Flight.Client;

/// <summary>
/// Reads only the header type of an IPC Message flatbuffer (Message.fbs: field 1, a ubyte), every
/// offset bounds-checked, so a received stream can be cut into batches before anything is decoded.
/// </summary>
internal static class MessageHeaderType
{
    public const byte Schema = 1;
    public const byte DictionaryBatch = 2;
    public const byte RecordBatch = 3;

    /// <summary>The header type, or null when the bytes are not a readable Message table.</summary>
    public static byte? Peek(ReadOnlySpan<byte> message)
    {
        if (message.Length < 8)
        {
            return null;
        }

        uint root = BinaryPrimitives.ReadUInt32LittleEndian(message);
        if (root > (uint)message.Length - 4)
        {
            return null;
        }

        long vtable = (long)root - BinaryPrimitives.ReadInt32LittleEndian(message[(int)root..]);
        if (vtable < 0 || vtable > message.Length - 4)
        {
            return null;
        }

        int vtableLength = BinaryPrimitives.ReadUInt16LittleEndian(message[(int)vtable..]);
        const int fieldSlot = 4 + (2 * 1);
        if (vtableLength < fieldSlot + 2 || vtable + fieldSlot + 2 > message.Length)
        {
            return null;
        }

        int fieldOffset = BinaryPrimitives.ReadUInt16LittleEndian(message[(int)(vtable + fieldSlot)..]);
        if (fieldOffset == 0)
        {
            return 0;
        }

        long at = root + (long)fieldOffset;
        return at < message.Length ? message[(int)at] : null;
    }
}
