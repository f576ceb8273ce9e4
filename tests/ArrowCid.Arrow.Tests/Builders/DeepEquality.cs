using System.Collections;

namespace ArrowCid.Arrow.Tests.Builders;

/// <summary>Structural comparison of GetValue results with expected values (bytes, sequences, pairs).</summary>
public static class DeepEquality
{
    public static bool AreEqual(object? expected, object? actual)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null;
        }

        if (TryPair(expected, out var ek, out var ev) && TryPair(actual, out var ak, out var av))
        {
            return AreEqual(ek, ak) && AreEqual(ev, av);
        }

        if (expected is IDictionary<string, object?> ed && actual is IDictionary<string, object?> ad)
        {
            return ed.Count == ad.Count && ed.All(kv => ad.TryGetValue(kv.Key, out var v) && AreEqual(kv.Value, v));
        }

        if (expected is not string && actual is not string && expected is IEnumerable ee && actual is IEnumerable ae)
        {
            var el = ee.Cast<object?>().ToList();
            var al = ae.Cast<object?>().ToList();
            return el.Count == al.Count && el.Zip(al).All(p => AreEqual(p.First, p.Second));
        }

        if (expected is float f && actual is float g)
        {
            return f.Equals(g);
        }

        return expected.Equals(actual);
    }

    private static bool TryPair(object value, out object? key, out object? item)
    {
        var t = value.GetType();
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            key = t.GetProperty("Key")!.GetValue(value);
            item = t.GetProperty("Value")!.GetValue(value);
            return true;
        }

        key = item = null;
        return false;
    }
}
