using System.Buffers.Binary;

namespace ArrowCid.Content.Tests.Fuzz;

/// <summary>
/// Deterministic input mutation for fuzzing: bit flips, truncation, byte overwrites with boundary
/// values, inserted and deleted runs, and overwritten length-like fields (varints and integers).
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x12, 0x20, 0x2a, 0x55, 0x71, 0xd8, 0x58, 0x5b, 0x9b, 0xbb, 0xfb];
    private readonly Random _random = new(seed);

    public byte[] Mutate(byte[] input)
    {
        var data = input.ToList();
        int rounds = 1 + _random.Next(4);
        for (int r = 0; r < rounds; r++)
        {
            MutateOnce(data);
        }

        return data.ToArray();
    }

    private void MutateOnce(List<byte> data)
    {
        int position = data.Count == 0 ? 0 : _random.Next(data.Count);
        switch (_random.Next(8))
        {
            case 0 when data.Count > 0:
                data[position] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when data.Count > 0:
                data.RemoveRange(position, data.Count - position);
                break;
            case 2 when data.Count > 0:
                data[position] = Interesting[_random.Next(Interesting.Length)];
                break;
            case 3:
                data.InsertRange(position, Enumerable.Range(0, 1 + _random.Next(8)).Select(_ => (byte)_random.Next(256)));
                break;
            case 4 when data.Count > 0:
                data.RemoveRange(position, Math.Min(data.Count - position, 1 + _random.Next(8)));
                break;
            case 5 when data.Count > 0:
                // A length-like field: a maximal or large varint.
                var varint = new byte[] { 0xff, 0xff, 0xff, 0xff, 0x0f };
                data.RemoveAt(position);
                data.InsertRange(position, varint.Take(1 + _random.Next(varint.Length)));
                break;
            case 6 when data.Count >= 8:
                // An 8-byte little-endian integer field (CARv2 header/index) set to a boundary value.
                position = Math.Min(position, data.Count - 8);
                var bytes = new byte[8];
                ulong[] values = [0, 1, 50, 51, (ulong)data.Count, (ulong)data.Count + 1, uint.MaxValue, long.MaxValue, ulong.MaxValue];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, values[_random.Next(values.Length)]);
                for (int i = 0; i < 8; i++)
                {
                    data[position + i] = bytes[i];
                }

                break;
            default:
                if (data.Count > 0)
                {
                    data[position] = (byte)_random.Next(256);
                }

                break;
        }
    }
}
