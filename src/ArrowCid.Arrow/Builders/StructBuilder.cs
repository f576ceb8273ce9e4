using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// struct arrays: one builder per member, all kept at the parent's length (a null struct slot
/// appends a null to every member). Values by position (IReadOnlyList) or by name (IDictionary;
/// missing names are null).
/// </summary>
internal sealed class StructBuilder : ArrayBuilder
{
    private readonly BitBuffer _validity = new();
    private readonly ArrayBuilder[] _members;
    private readonly Field[] _fields;

    public StructBuilder(ArrowType type) : base(type)
    {
        _fields = [.. type.PhysicalType.Children];
        _members = [.. _fields.Select(f => Create(f.Type))];
    }

    public override int Length => _validity.Length;

    public override void AppendNull()
    {
        _validity.Append(false);
        foreach (var member in _members)
        {
            member.AppendNull();
        }
    }

    public override ArrayData Build()
    {
        int length = Length, nulls = _validity.ZeroCount;
        return new ArrayData(Type, length, nulls, 0, [_validity.BuildValidity()], _members.Select(m => m.Build()).ToList());
    }

    private protected override void AppendValue(object value)
    {
        var values = MemberValues(value);
        for (int i = 0; i < _members.Length; i++)
        {
            _members[i].Append(values[i]);
        }

        _validity.Append(true);
    }

    private object?[] MemberValues(object value)
    {
        switch (value)
        {
            case IReadOnlyList<object?> list:
                if (list.Count != _members.Length)
                {
                    throw new ArgumentException($"{Type} needs {_members.Length} member values, got {list.Count}", nameof(value));
                }

                return [.. list];
            case IDictionary<string, object?> byName:
                return Lookup(name => byName.TryGetValue(name, out var v) ? v : null, byName.Keys);
            case IReadOnlyDictionary<string, object?> byName:
                return Lookup(name => byName.TryGetValue(name, out var v) ? v : null, byName.Keys);
            default:
                throw new ArgumentException($"{Type} needs an IReadOnlyList<object?> or IDictionary<string, object?>, got {value.GetType().Name}", nameof(value));
        }
    }

    private object?[] Lookup(Func<string, object?> find, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (!_fields.Any(f => f.Name == name))
            {
                throw new ArgumentException($"{Type} has no member '{name}'", nameof(names));
            }
        }

        return [.. _fields.Select(f => find(f.Name))];
    }
}
