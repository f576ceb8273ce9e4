using System.Collections.Immutable;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.CData;

/// <summary>
/// Exports types, fields and schemas as <c>struct ArrowSchema</c>. Every string, metadata block
/// and child structure is allocated in native memory owned by the exported structure and freed by
/// its release callback (which the consumer calls exactly once, on the base structure only).
/// </summary>
public static unsafe class CArrowSchemaExporter
{
    /// <summary>Exports <paramref name="field"/> (name, type, nullability, metadata; extension types as storage plus metadata).</summary>
    public static void Export(Field field, CArrowSchema* output)
    {
        ArgumentNullException.ThrowIfNull(field);
        CheckOutput(output);
        Fill(output, field.Name, field.Type, field.Nullable, field.Metadata);
    }

    /// <summary>Exports a bare type (empty name, nullable).</summary>
    public static void Export(ArrowType type, CArrowSchema* output)
    {
        ArgumentNullException.ThrowIfNull(type);
        CheckOutput(output);
        Fill(output, string.Empty, type, true, []);
    }

    /// <summary>Exports a schema as a non-nullable struct (<c>+s</c>) whose children are the fields and whose metadata is the schema's.</summary>
    public static void Export(Schema schema, CArrowSchema* output)
    {
        ArgumentNullException.ThrowIfNull(schema);
        CheckOutput(output);
        Fill(output, string.Empty, ArrowType.Struct(schema.Fields), false, schema.Metadata);
    }

    /// <summary>Exports <paramref name="field"/> into the <c>ArrowSchema</c> at address <paramref name="output"/> (for callers without unsafe code).</summary>
    public static void Export(Field field, nint output) => Export(field, (CArrowSchema*)output);

    /// <summary>Exports a bare type into the <c>ArrowSchema</c> at address <paramref name="output"/>.</summary>
    public static void Export(ArrowType type, nint output) => Export(type, (CArrowSchema*)output);

    /// <summary>Exports a schema into the <c>ArrowSchema</c> at address <paramref name="output"/>.</summary>
    public static void Export(Schema schema, nint output) => Export(schema, (CArrowSchema*)output);

    private static void CheckOutput(CArrowSchema* output)
    {
        if (output == null)
        {
            throw new ArgumentNullException(nameof(output));
        }
    }

    private static void Fill(CArrowSchema* output, string name, ArrowType type, bool nullable, ImmutableArray<KeyValuePair<string, string>> metadata)
    {
        var owned = new NativeAllocations();
        var filled = new List<nint>();
        try
        {
            // Extension types travel as their storage type with two metadata keys (as in IPC).
            var (storage, wireMetadata) = ExtensionTypes.ToFieldMetadata(new Field(name, type, nullable, metadata));
            long flags = nullable ? CArrowFlags.Nullable : 0;
            CArrowSchema* dictionary = null;
            var formatType = storage;
            if (storage.Id == ArrowTypeId.Dictionary)
            {
                formatType = storage.IndexType!;
                flags |= storage.Ordered ? CArrowFlags.DictionaryOrdered : 0;
                dictionary = (CArrowSchema*)owned.Alloc(sizeof(CArrowSchema));
                Fill(dictionary, string.Empty, storage.ValueType!, true, []);
                filled.Add((nint)dictionary);
            }

            if (formatType.Id == ArrowTypeId.Map && formatType.KeysSorted)
            {
                flags |= CArrowFlags.MapKeysSorted;
            }

            var children = formatType.Children;
            CArrowSchema** childPointers = null;
            if (children.Length > 0)
            {
                childPointers = (CArrowSchema**)owned.Alloc((long)children.Length * sizeof(CArrowSchema*));
                for (int i = 0; i < children.Length; i++)
                {
                    var child = (CArrowSchema*)owned.Alloc(sizeof(CArrowSchema));
                    childPointers[i] = child;
                    Fill(child, children[i].Name, children[i].Type, children[i].Nullable, children[i].Metadata);
                    filled.Add((nint)child);
                }
            }

            output->Format = owned.Utf8(CFormat.Of(formatType));
            output->Name = owned.Utf8(name);
            output->Metadata = owned.Metadata(wireMetadata);
            output->Flags = flags;
            output->NChildren = children.Length;
            output->Children = childPointers;
            output->Dictionary = dictionary;
            output->PrivateData = (void*)GCHandle.ToIntPtr(GCHandle.Alloc(new SchemaNode(owned, filled)));
            output->Release = &Release;
        }
        catch
        {
            // Children filled before the failure own memory of their own: release them, then ours.
            foreach (nint p in filled)
            {
                var done = (CArrowSchema*)p;
                done->Release(done);
            }

            owned.FreeAll();
            throw;
        }
    }

    // Called by native code: must never throw. Releases children and dictionary (whose structures
    // this one owns), frees everything allocated for this structure, then marks it released.
    [UnmanagedCallersOnly]
    private static void Release(CArrowSchema* schema)
    {
        if (schema == null || schema->Release == null)
        {
            return;
        }

        try
        {
            if (schema->PrivateData != null)
            {
                // Children and dictionary are found through our own records, not the structure's
                // fields, so a consumer that changed those cannot make us leak or double-free.
                var handle = GCHandle.FromIntPtr((nint)schema->PrivateData);
                if (handle.Target is SchemaNode node)
                {
                    foreach (nint p in node.Children)
                    {
                        var child = (CArrowSchema*)p;
                        if (child->Release != null)
                        {
                            child->Release(child);
                        }
                    }

                    node.Owned.FreeAll();
                }

                handle.Free();
            }
        }
#pragma warning disable CA1031 // an exception must not cross into native code
        catch (Exception)
#pragma warning restore CA1031
        {
            // Nothing sensible can be reported from a release callback.
        }

        schema->PrivateData = null;
        schema->Release = null;
    }

    /// <summary>What one exported schema structure owns: its allocations and the child and dictionary structures in them.</summary>
    private sealed record SchemaNode(NativeAllocations Owned, List<nint> Children);
}
