using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Tests.Builders;
using ArrowCid.Arrow.Validation;

namespace ArrowCid.Arrow.Tests.Validation;

/// <summary>
/// Seeded mutation fuzzing: valid built arrays (and slices of them) with random damage to one node
/// (bytes, buffer lengths, buffer count, offset, length, null count). The validator must either
/// accept the array — and then every slot must print and read without error — or throw
/// <see cref="ArrowFormatException"/>; any other exception is a bug.
/// </summary>
public class ValidatorFuzzTests
{
    private const int Cases = 20_000;

    [Fact]
    public void Mutated_arrays_are_rejected_cleanly_or_safe_to_read()
    {
        var pool = new List<ArrayData>();
        foreach (var sample in SampleArrays.All)
        {
            var array = SampleArrays.Build(sample);
            pool.Add(array);
            if (array.Length > 1)
            {
                pool.Add(array.Slice(1, array.Length - 1));
            }
        }

        var rng = new Random(20_240_601);
        int accepted = 0, rejected = 0;
        for (int i = 0; i < Cases; i++)
        {
            var original = pool[rng.Next(pool.Count)];
            var mutated = Mutate(original, rng, 0);
            try
            {
                ArrayValidator.Validate(mutated, rng.Next(2) == 0 ? ValidationLevel.Structural : ValidationLevel.Full);
            }
            catch (ArrowFormatException)
            {
                rejected++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} ({original.Type}): validator threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }

            accepted++;
            try
            {
                for (int slot = 0; slot < mutated.Length; slot++)
                {
                    ArrayPrinter.FormatValue(mutated, slot);
                    ArrayPrinter.GetValue(mutated, slot);
                }
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} ({original.Type}): accepted array failed to print: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }

        // Both outcomes must actually occur, or the fuzzer is not exercising anything.
        Assert.True(rejected > Cases / 10, $"only {rejected} rejections");
        Assert.True(accepted > Cases / 20, $"only {accepted} acceptances");
    }

    private static ArrayData Mutate(ArrayData node, Random rng, int depth)
    {
        // Descend into a child or the dictionary some of the time, rebuilding the path above it.
        int inner = node.Children.Length + (node.Dictionary is null ? 0 : 1);
        if (inner > 0 && rng.Next(3) > 0)
        {
            int pick = rng.Next(inner);
            if (pick < node.Children.Length)
            {
                var children = node.Children.ToArray();
                children[pick] = Mutate(children[pick], rng, depth + 1);
                return new ArrayData(node.Type, node.Length, -1, node.Offset, node.Buffers, children, node.Dictionary);
            }

            return new ArrayData(node.Type, node.Length, -1, node.Offset, node.Buffers, node.Children, Mutate(node.Dictionary!, rng, depth + 1));
        }

        var buffers = node.Buffers.ToList();
        int length = node.Length, offset = node.Offset, nullCount = -1;
        switch (rng.Next(7))
        {
            case 0 or 1 when buffers.Count > 0:
            {
                // Overwrite a few random bytes, often with extreme values.
                int b = rng.Next(buffers.Count);
                var bytes = buffers[b].ToArray();
                if (bytes.Length > 0)
                {
                    for (int k = rng.Next(1, 4); k > 0; k--)
                    {
                        bytes[rng.Next(bytes.Length)] = rng.Next(4) switch { 0 => 0xFF, 1 => 0x80, 2 => 0, _ => (byte)rng.Next(256) };
                    }
                }

                buffers[b] = bytes;
                break;
            }

            case 2 when buffers.Count > 0:
            {
                int b = rng.Next(buffers.Count);
                buffers[b] = buffers[b][..rng.Next(buffers[b].Length + 1)];
                break;
            }

            case 3:
                if (buffers.Count > 0 && rng.Next(2) == 0)
                {
                    buffers.RemoveAt(rng.Next(buffers.Count));
                }
                else
                {
                    buffers.Add(new byte[rng.Next(3) * 8]);
                }

                break;
            case 4:
                length = rng.Next(2) == 0 ? node.Length + rng.Next(1, 40) : rng.Next(node.Length + 1);
                break;
            case 5:
                offset = rng.Next(3) switch { 0 => node.Offset + rng.Next(1, 20), 1 => int.MaxValue - rng.Next(10), _ => 0 };
                break;
            default:
                nullCount = rng.Next(-1, node.Length + 3);
                break;
        }

        return new ArrayData(node.Type, length, nullCount, offset, buffers, node.Children, node.Dictionary);
    }
}
