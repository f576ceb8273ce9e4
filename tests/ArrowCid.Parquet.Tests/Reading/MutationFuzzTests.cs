using System.Buffers.Binary;
using System.Diagnostics;
using ArrowCid.Parquet.Reading;

namespace ArrowCid.Parquet.Tests.Reading;

/// <summary>
/// Seeded mutation fuzzing over the sample files: whatever the damage, reading the footer and
/// every column chunk either succeeds or throws <see cref="ParquetFormatException"/>, quickly.
/// </summary>
public class MutationFuzzTests
{
    private const int Seed = 20_260_121;
    private const int InputsPerFile = 850;    // × 24 files = 20,400 inputs
    private static readonly TimeSpan SlowInput = TimeSpan.FromSeconds(2);

    [Fact]
    public void Mutated_files_only_ever_throw_ParquetFormatException()
    {
        var random = new Random(Seed);
        int inputs = 0, accepted = 0, rejected = 0;
        foreach (string name in TestFiles.All())
        {
            byte[] original = TestFiles.Read(name);
            for (int i = 0; i < InputsPerFile; i++)
            {
                byte[] mutated = Mutate(original, random);
                var clock = Stopwatch.StartNew();
                try
                {
                    if (ReadEverything(mutated))
                    {
                        accepted++;
                    }
                    else
                    {
                        rejected++;
                    }
                }
                catch (ParquetFormatException)
                {
                    rejected++;
                }
                catch (Exception ex)
                {
                    Assert.Fail($"{name}, input {i}: {ex.GetType().Name} escaped: {ex.Message}\n{ex.StackTrace}");
                }
                Assert.True(clock.Elapsed < SlowInput, $"{name}, input {i} took {clock.Elapsed}");
                inputs++;
            }
        }
        Assert.True(inputs >= 20_000);
        // Both outcomes must occur, or the mutations are not reaching the decoders.
        Assert.True(accepted > 1000 && rejected > 1000, $"accepted {accepted}, rejected {rejected}");
    }

    /// <summary>Reads every chunk; true when all of them decoded.</summary>
    private static bool ReadEverything(byte[] file)
    {
        using var reader = ParquetFileReader.Open(file);
        bool all = true;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            for (int c = 0; c < reader.Schema.Leaves.Count; c++)
            {
                try
                {
                    reader.ReadColumn(g, c);
                }
                catch (ParquetFormatException)
                {
                    all = false;
                }
            }
        }
        return all;
    }

    internal static byte[] Mutate(byte[] original, Random random)
    {
        byte[] file = (byte[])original.Clone();
        int footerLength = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(file.Length - 8));
        int footerStart = file.Length - 8 - footerLength;
        switch (random.Next(7))
        {
            case 0: // bit flips anywhere
                for (int k = random.Next(1, 5); k > 0; k--)
                {
                    file[random.Next(file.Length)] ^= (byte)(1 << random.Next(8));
                }
                return file;
            case 1: // bit flip in the footer, which keeps its length: reaches the thrift reader
                file[footerStart + random.Next(footerLength)] ^= (byte)(1 << random.Next(8));
                return file;
            case 2: // a varint-shaped edit in the footer: continuation bytes, huge or zero values
                {
                    int at = footerStart + random.Next(footerLength);
                    byte[] edits = [0xFF, 0x80, 0x00, 0x7F, 0x0F, 0x01];
                    int run = random.Next(1, 4);
                    for (int k = 0; k < run && at + k < file.Length - 8; k++)
                    {
                        file[at + k] = edits[random.Next(edits.Length)];
                    }
                    return file;
                }
            case 3: // damage near the start of the data: the first page headers
                {
                    int at = 4 + random.Next(Math.Min(96, footerStart - 4));
                    file[at] = (byte)random.Next(256);
                    return file;
                }
            case 4: // cut bytes out of the data area, keeping a valid tail
                {
                    int at = 4 + random.Next(footerStart - 4);
                    int count = Math.Min(random.Next(1, 64), footerStart - at);
                    return [.. file[..at], .. file[(at + count)..]];
                }
            case 5: // truncate the footer and fix up its length so parsing starts, then stops short
                {
                    int keep = random.Next(footerLength);
                    byte[] shorter = [.. file[..(footerStart + keep)], 0, 0, 0, 0, .. "PAR1"u8];
                    BinaryPrimitives.WriteInt32LittleEndian(shorter.AsSpan(shorter.Length - 8), keep);
                    return shorter;
                }
            default: // plain truncation, or a footer length that lies
                if (random.Next(2) == 0)
                {
                    return file[..random.Next(file.Length)];
                }
                BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(file.Length - 8), random.Next(-10, file.Length + 10));
                return file;
        }
    }
}
