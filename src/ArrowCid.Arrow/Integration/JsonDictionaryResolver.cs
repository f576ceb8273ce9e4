using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using static ArrowCid.Arrow.Integration.JsonAccess;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// The <c>dictionaries</c> of a file, read on first use and then shared: every field that names an
/// id gets the same <see cref="ArrayData"/> instance. Dictionaries may themselves contain
/// dictionary-encoded children, so reading one can read others (a cycle is an error).
/// </summary>
internal sealed class JsonDictionaryResolver
{
    private readonly Dictionary<long, JsonElement> _json = [];
    private readonly Dictionary<long, ArrayData> _read = [];
    private readonly HashSet<long> _reading = [];

    public JsonDictionaryResolver(JsonElement? dictionaries)
    {
        if (dictionaries is not { } list)
        {
            return;
        }

        ExpectKind(list, JsonValueKind.Array, "dictionaries");
        int i = 0;
        foreach (var batch in list.EnumerateArray())
        {
            string where = $"dictionaries[{i++}]";
            long id = Int64(Required(batch, "id", where), $"{where} id");
            if (Optional(batch, "isDelta") is { } delta && Bool(delta, $"{where} isDelta"))
            {
                throw new ArrowFormatException($"{where}: delta dictionaries are not supported in integration JSON");
            }

            if (!_json.TryAdd(id, Required(batch, "data", where)))
            {
                throw new ArrowFormatException($"{where}: dictionary id {id} appears twice");
            }
        }
    }

    /// <summary>The dictionary with JSON id <paramref name="id"/>, laid out as the value type of <paramref name="field"/>.</summary>
    public ArrayData Get(long id, JsonFieldNode field, string where)
    {
        if (_read.TryGetValue(id, out var done))
        {
            return done;
        }

        if (!_json.TryGetValue(id, out var data))
        {
            throw new ArrowFormatException($"{where}: dictionary id {id} is not in 'dictionaries'");
        }

        if (!_reading.Add(id))
        {
            throw new ArrowFormatException($"{where}: dictionary id {id} contains itself");
        }

        string at = $"dictionary {id}";
        // Integration.rst shows "data" as a list of one batch; the generated files use the batch object.
        if (data.ValueKind == JsonValueKind.Array && data.GetArrayLength() == 1)
        {
            data = data[0];
        }

        int count = (int)InRange(Integer(Required(data, "count", at), $"{at} count"), 0, int.MaxValue, $"{at} count");
        var column = Array(data, "columns", at, 1)[0];
        var values = new JsonColumnReader(this).Read(field.AsDictionaryValues(), column, $"{at} values");
        if (values.Length != count)
        {
            throw new ArrowFormatException($"{at}: column has {values.Length} values, the batch count says {count}");
        }

        _reading.Remove(id);
        _read[id] = values;
        return values;
    }
}
