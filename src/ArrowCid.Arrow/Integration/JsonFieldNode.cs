using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// A field read from integration JSON plus the JSON dictionary id it refers to (the model's
/// <see cref="Field"/> has no ids: they are a property of one file). <see cref="Children"/> follow
/// the children of the field's value type, so nested dictionary ids are reachable too.
/// </summary>
internal sealed record JsonFieldNode(Field Field, long? DictionaryId, IReadOnlyList<JsonFieldNode> Children)
{
    /// <summary>
    /// The same field with its dictionary encoding taken off: how a dictionary's values are laid
    /// out (an extension over a dictionary has its values under the storage type).
    /// </summary>
    public JsonFieldNode AsDictionaryValues() =>
        new(Field.WithType(Field.Type.PhysicalType.ValueType!), null, Children);
}
