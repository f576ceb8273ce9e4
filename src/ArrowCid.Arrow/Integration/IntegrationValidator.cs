using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// The check Arrow's integration tooling asks of each implementation: does an IPC file or stream
/// hold exactly the schema and batches of an integration JSON file? Batch boundaries count;
/// dictionary ids and physical layout do not (values are compared decoded).
/// </summary>
public static class IntegrationValidator
{
    /// <summary>Returns null when <paramref name="arrowPath"/> (IPC file or stream, detected by its magic) matches <paramref name="jsonPath"/>, else the first difference.</summary>
    public static string? Compare(string jsonPath, string arrowPath)
    {
        var expected = IntegrationJson.Read(jsonPath);
        byte[] bytes = File.ReadAllBytes(arrowPath);
        return Compare(expected, ReadIpc(bytes));
    }

    /// <summary>Reads all batches of an IPC file or stream held in memory (file format when it starts with ARROW1).</summary>
    public static IntegrationFile ReadIpc(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length >= 6 && bytes.Span[..6].SequenceEqual(ArrowFileReader.Magic))
        {
            using var file = new ArrowFileReader(bytes);
            return new IntegrationFile(file.Schema, file.ReadAll().ToList());
        }

        using var stream = new ArrowStreamReader(bytes);
        return new IntegrationFile(stream.Schema, stream.ReadAll().ToList());
    }

    private static Schema NormalizeMapNames(Schema schema) =>
        new(schema.Fields.Select(NormalizeMapNames), schema.Metadata);

    private static Field NormalizeMapNames(Field field)
    {
        var type = field.Type;
        if (type.Id == ArrowTypeId.Dictionary)
        {
            var values = NormalizeMapNames(new Field(string.Empty, type.ValueType!)).Type;
            return field.WithType(ArrowType.Dictionary(type.IndexType!, values, type.Ordered));
        }

        if (type.Children.IsEmpty)
        {
            return field;
        }

        var children = type.Children.Select(NormalizeMapNames).ToList();
        if (type.Id == ArrowTypeId.Map)
        {
            var entries = children[0];
            var kv = entries.Type.Children;
            children[0] = new Field("entries", entries.Type.WithChildren([kv[0].WithName("key"), kv[1].WithName("value")]), entries.Nullable, entries.Metadata);
        }

        return field.WithType(type.WithChildren(children));
    }

    /// <summary>Null when equal, else the first difference.</summary>
    public static string? Compare(IntegrationFile expected, IntegrationFile actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        // Map child names are not significant (Schema.fbs: "not enforced"); some producers rename them.
        if (ArrayEquality.SchemaDifference(expected.Schema, actual.Schema) is { } schemaDifference
            && ArrayEquality.SchemaDifference(NormalizeMapNames(expected.Schema), NormalizeMapNames(actual.Schema)) is not null)
        {
            return $"schema: {schemaDifference}";
        }

        if (expected.Batches.Count != actual.Batches.Count)
        {
            return $"expected {expected.Batches.Count} record batches, found {actual.Batches.Count}";
        }

        for (int i = 0; i < expected.Batches.Count; i++)
        {
            var (e, a) = (expected.Batches[i], actual.Batches[i]);
            if (e.Length != a.Length)
            {
                return $"batch {i}: expected {e.Length} rows, found {a.Length}";
            }

            for (int c = 0; c < e.Columns.Length; c++)
            {
                if (!ArrayEquality.Equals(e.Columns[c], a.Columns[c], FloatComparison.RoundToSingle, out string? difference))
                {
                    return $"batch {i} column {c} '{e.Schema.Fields[c].Name}': {difference}";
                }
            }
        }

        return null;
    }
}
