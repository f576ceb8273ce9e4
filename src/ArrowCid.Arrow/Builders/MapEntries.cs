using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// The (key, value) entries of a map slot: any IDictionary, any sequence of KeyValuePair&lt;K, V&gt;
/// (read through a cached property pair, since the generic arguments are unknown here), or of
/// two-element tuples.
/// </summary>
internal static class MapEntries
{
    private static readonly ConcurrentDictionary<Type, (PropertyInfo Key, PropertyInfo Value)> PairProperties = new();

    public static IEnumerable<(object? Key, object? Value)> Enumerate(object value)
    {
        if (value is IDictionary dictionary)
        {
            foreach (DictionaryEntry entry in dictionary)
            {
                yield return (entry.Key, entry.Value);
            }

            yield break;
        }

        if (value is string || value is not IEnumerable sequence)
        {
            throw new ArgumentException($"a map needs key/value pairs, got {value.GetType().Name}", nameof(value));
        }

        foreach (object? item in sequence)
        {
            yield return item switch
            {
                KeyValuePair<object?, object?> kv => (kv.Key, kv.Value),
                ITuple { Length: 2 } t => (t[0], t[1]),
                not null when IsKeyValuePair(item.GetType()) => ReadPair(item),
                _ => throw new ArgumentException($"a map entry must be a key/value pair, got {item?.GetType().Name ?? "null"}", nameof(value)),
            };
        }
    }

    private static bool IsKeyValuePair(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>);

    // KeyValuePair<,>'s two properties are kept for reflection wherever the type is (trimmed or
    // NativeAOT builds); a pair type whose getters a NativeAOT build did not compile makes
    // GetValue throw, an error, never a wrong value. IDictionary and tuples need no reflection.
    [System.Diagnostics.CodeAnalysis.DynamicDependency(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties, typeof(KeyValuePair<,>))]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Only KeyValuePair<,> reaches here, whose properties the DynamicDependency keeps.")]
    private static (object?, object?) ReadPair(object pair)
    {
        var (key, value) = PairProperties.GetOrAdd(pair.GetType(), t => (t.GetProperty("Key")!, t.GetProperty("Value")!));
        return (key.GetValue(pair), value.GetValue(pair));
    }
}
