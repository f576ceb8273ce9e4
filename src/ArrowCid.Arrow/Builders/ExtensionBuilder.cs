using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>Extension types: values are built in the storage type and the array is relabelled.</summary>
internal sealed class ExtensionBuilder(ArrowType type) : ArrayBuilder(type)
{
    private readonly ArrayBuilder _storage = Create(type.StorageType!);

    public override int Length => _storage.Length;

    public override void AppendNull() => _storage.AppendNull();

    public override ArrayData Build() => _storage.Build().WithType(Type);

    private protected override void AppendValue(object value) => _storage.Append(value);
}
