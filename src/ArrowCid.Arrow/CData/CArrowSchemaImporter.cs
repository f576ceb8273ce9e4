using System.Collections.Immutable;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Validation;

namespace ArrowCid.Arrow.CData;

/// <summary>
/// Imports <c>struct ArrowSchema</c> into fields, types and schemas. The structure is consumed:
/// it is read, then released through its own release callback (also when it is malformed), so the
/// caller's structure is marked released afterwards. Malformed or unknown descriptions throw
/// <see cref="ArrowFormatException"/>.
/// </summary>
public static unsafe class CArrowSchemaImporter
{
    /// <summary>Most children one schema node may declare (a sanity bound on foreign input).</summary>
    private const long MaxChildren = 1 << 20;

    /// <summary>Imports a field (name, type, nullability, metadata; registered extensions become extension types) and releases the structure.</summary>
    public static Field ImportField(CArrowSchema* schema) => Consume(schema, s => ReadField(s, 0));

    /// <summary>Imports a bare type and releases the structure.</summary>
    public static ArrowType ImportType(CArrowSchema* schema) => Consume(schema, s => ReadField(s, 0).Type);

    /// <summary>
    /// Imports a record batch schema: the structure must describe a struct (<c>+s</c>) whose children
    /// are the fields; its metadata is the schema metadata. Releases the structure.
    /// </summary>
    public static Schema ImportSchema(CArrowSchema* schema) => Consume(schema, s =>
    {
        var field = ReadField(s, 0);
        if (field.Type.Id != ArrowTypeId.Struct)
        {
            throw new ArrowFormatException($"a record batch schema must be a struct (+s), got {field.Type}");
        }

        return new Schema(field.Type.Children, field.Metadata);
    });

    /// <summary>Imports a field from the <c>ArrowSchema</c> at address <paramref name="schema"/> (for callers without unsafe code).</summary>
    public static Field ImportField(nint schema) => ImportField((CArrowSchema*)schema);

    /// <summary>Imports a bare type from the <c>ArrowSchema</c> at address <paramref name="schema"/>.</summary>
    public static ArrowType ImportType(nint schema) => ImportType((CArrowSchema*)schema);

    /// <summary>Imports a record batch schema from the <c>ArrowSchema</c> at address <paramref name="schema"/>.</summary>
    public static Schema ImportSchema(nint schema) => ImportSchema((CArrowSchema*)schema);

    private static T Consume<T>(CArrowSchema* schema, Func<IntPtr, T> read)
    {
        if (schema == null)
        {
            throw new ArgumentNullException(nameof(schema));
        }

        if (schema->Release == null)
        {
            throw new ArrowFormatException("the ArrowSchema has already been released");
        }

        try
        {
            return read((IntPtr)schema);
        }
        finally
        {
            // Consumers release the base structure only; the producer releases its children.
            if (schema->Release != null)
            {
                schema->Release(schema);
            }
        }
    }

    private static Field ReadField(IntPtr pointer, int depth)
    {
        var s = (CArrowSchema*)pointer;
        if (depth > ArrayValidator.MaxDepth)
        {
            throw new ArrowFormatException($"schema nested deeper than {ArrayValidator.MaxDepth} levels");
        }

        string format = NativeText.Utf8(s->Format, "format string") ?? throw new ArrowFormatException("ArrowSchema.format is null");
        string name = NativeText.Utf8(s->Name, "field name") ?? string.Empty;
        var metadata = NativeText.Metadata(s->Metadata, $"field '{name}'");
        long flags = s->Flags;
        if (s->NChildren < 0 || s->NChildren > MaxChildren)
        {
            throw new ArrowFormatException($"field '{name}' ({format}) declares {s->NChildren} children");
        }

        if (s->NChildren > 0 && s->Children == null)
        {
            throw new ArrowFormatException($"field '{name}' ({format}) declares {s->NChildren} children but its children pointer is null");
        }

        var children = ImmutableArray.CreateBuilder<Field>((int)s->NChildren);
        for (long i = 0; i < s->NChildren; i++)
        {
            var child = s->Children[i];
            if (child == null)
            {
                throw new ArrowFormatException($"child {i} of field '{name}' ({format}) is a null pointer");
            }

            children.Add(ReadField((IntPtr)child, depth + 1));
        }

        var type = CFormat.Parse(format, children.MoveToImmutable(), (flags & CArrowFlags.MapKeysSorted) != 0);
        if (s->Dictionary != null)
        {
            if (!type.IsInteger)
            {
                throw new ArrowFormatException($"field '{name}' has a dictionary but its index type {type} is not an integer type");
            }

            var values = ReadField((IntPtr)s->Dictionary, depth + 1);
            type = ArrowType.Dictionary(type, values.Type, (flags & CArrowFlags.DictionaryOrdered) != 0);
        }

        var (logical, rest) = ExtensionTypes.FromFieldMetadata(type, metadata, $"field '{name}'");
        return new Field(name, logical, (flags & CArrowFlags.Nullable) != 0, rest);
    }
}
