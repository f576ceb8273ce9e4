using System.Text.Json.Serialization.Metadata;
using ArrowCid.Wire;
using Google.Protobuf;

namespace ArrowCid.Flight;

/// <summary>The JSON bodies of Flight messages (app_metadata, Result bodies, commands) as protobuf bytes.</summary>
public static class FlightBodies
{
    /// <summary>
    /// A wire model as a message's bytes field. The document is a new array nothing else holds,
    /// so it is wrapped, not copied again.
    /// </summary>
    /// <typeparam name="T">The model.</typeparam>
    /// <param name="value">The document.</param>
    /// <param name="type">Its type information, from <see cref="WireJsonContext.Default"/>.</param>
    /// <returns>The bytes.</returns>
    public static ByteString Json<T>(T value, JsonTypeInfo<T> type) => UnsafeByteOperations.UnsafeWrap(WireJson.ToUtf8(value, type));
}
