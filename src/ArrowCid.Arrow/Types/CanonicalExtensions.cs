using System.Numerics;
using System.Text.Json;

namespace ArrowCid.Arrow.Types;

/// <summary>
/// The storage and parameter rules of the canonical extension types (CanonicalExtensions.rst), so
/// an <c>arrow.*</c> type that breaks them is refused wherever it is made or read, as Arrow C++
/// refuses it, instead of travelling on as something no other reader accepts.
/// </summary>
internal static class CanonicalExtensions
{
    /// <summary>What is wrong with <paramref name="storage"/> or <paramref name="metadata"/> for the canonical extension <paramref name="name"/>; null when nothing is, or the name is not canonical.</summary>
    public static string? Problem(string name, string metadata, ArrowType storage) => name switch
    {
        "arrow.uuid" => storage is { Id: ArrowTypeId.FixedSizeBinary, ByteWidth: 16 } ? null : NeedsStorage("fixed_size_binary[16]", storage),
        "arrow.bool8" => storage.Id != ArrowTypeId.Int8 ? NeedsStorage("int8", storage)
            : metadata.Length == 0 ? null : $"parameters must be empty, not '{metadata}'",
        "arrow.json" => storage.Id is not (ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View)
            ? NeedsStorage("utf8, large_utf8 or utf8_view", storage)
            : metadata.Length == 0 ? null : ObjectProblem(metadata, _ => null),
        "arrow.opaque" => ObjectProblem(metadata, OpaqueProblem),
        "arrow.fixed_shape_tensor" => storage.Id != ArrowTypeId.FixedSizeList
            ? NeedsStorage("fixed_size_list", storage)
            : ObjectProblem(metadata, parameters => FixedShapeProblem(parameters, storage.ListSize)),
        "arrow.variable_shape_tensor" => VariableShapeStorageProblem(storage) is { } problem ? problem
            : metadata.Length == 0 ? null : ObjectProblem(metadata, parameters => DimensionsProblem(parameters, ShapeChild(storage)!.Type.ListSize, "uniform_shape")),
        _ => null,
    };

    private static string NeedsStorage(string expected, ArrowType storage) => $"storage must be {expected}, not {storage}";

    /// <summary>Parses <paramref name="metadata"/> as a JSON object and checks it; a parse failure is the problem.</summary>
    private static string? ObjectProblem(string metadata, Func<JsonElement, string?> check)
    {
        try
        {
            using var document = JsonDocument.Parse(metadata);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? check(document.RootElement)
                : $"parameters must be a JSON object, not '{metadata}'";
        }
        catch (JsonException)
        {
            return $"parameters are not JSON: '{metadata}'";
        }
    }

    private static string? OpaqueProblem(JsonElement parameters)
    {
        foreach (string key in new[] { "type_name", "vendor_name" })
        {
            if (!parameters.TryGetProperty(key, out var value) || value.ValueKind != JsonValueKind.String)
            {
                return $"parameters need a string '{key}'";
            }
        }

        return null;
    }

    private static string? FixedShapeProblem(JsonElement parameters, int listSize)
    {
        if (!parameters.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            return "parameters need a 'shape' array";
        }

        // Exact, so huge dimensions cannot wrap around to the list size.
        BigInteger product = BigInteger.One;
        foreach (var dimension in shape.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out long size) || size < 0)
            {
                return $"shape {shape.GetRawText()} holds something other than sizes";
            }

            product *= size;
        }

        return product != listSize
            ? $"shape {shape.GetRawText()} has {product} elements, the storage lists hold {listSize}"
            : DimensionsProblem(parameters, shape.GetArrayLength(), null);
    }

    /// <summary>Checks the optional <c>dim_names</c>, <c>permutation</c> (and <paramref name="sizesKey"/>) against <paramref name="dimensions"/>.</summary>
    private static string? DimensionsProblem(JsonElement parameters, int dimensions, string? sizesKey)
    {
        if (parameters.TryGetProperty("dim_names", out var names)
            && (names.ValueKind != JsonValueKind.Array || names.GetArrayLength() != dimensions
                || names.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String)))
        {
            return $"dim_names {names.GetRawText()} must be {dimensions} strings";
        }

        if (parameters.TryGetProperty("permutation", out var permutation))
        {
            var seen = new HashSet<long>();
            bool valid = permutation.ValueKind == JsonValueKind.Array && permutation.GetArrayLength() == dimensions
                && permutation.EnumerateArray().All(p => p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out long i) && i >= 0 && i < dimensions && seen.Add(i));
            if (!valid)
            {
                return $"permutation {permutation.GetRawText()} is not a permutation of 0..{dimensions - 1}";
            }
        }

        if (sizesKey is not null && parameters.TryGetProperty(sizesKey, out var sizes)
            && (sizes.ValueKind != JsonValueKind.Array || sizes.GetArrayLength() != dimensions
                || sizes.EnumerateArray().Any(s => s.ValueKind is not (JsonValueKind.Null or JsonValueKind.Number))))
        {
            return $"{sizesKey} {sizes.GetRawText()} must be {dimensions} sizes or nulls";
        }

        return null;
    }

    private static string? VariableShapeStorageProblem(ArrowType storage)
    {
        const string expected = "struct<data: list<…>, shape: fixed_size_list<int32>[ndim]>";
        if (storage.Id != ArrowTypeId.Struct)
        {
            return NeedsStorage(expected, storage);
        }

        var data = storage.Children.FirstOrDefault(f => f.Name == "data");
        var shape = ShapeChild(storage);
        return data?.Type.Id == ArrowTypeId.List && shape?.Type.Id == ArrowTypeId.FixedSizeList && shape.Type.Children[0].Type.Id == ArrowTypeId.Int32
            ? null
            : NeedsStorage(expected, storage);
    }

    private static Field? ShapeChild(ArrowType storage) => storage.Children.FirstOrDefault(f => f.Name == "shape");
}
