using System.Diagnostics;
using ArrowCid.Arrow.Printing;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Tests.Interop;
using ArrowCid.Parquet.Tests.Writing;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Parquet.Tests.Reading;

/// <summary>
/// Seeded mutation fuzzing of the whole Arrow-level reader (schema mapping, inverse Dremel,
/// ARROW:schema restore) over the sample files and files we wrote (nested, every codec, v1 and
/// v2 pages): only <see cref="ParquetFormatException"/> escapes, every input finishes quickly, and
/// every batch that is returned is consistent enough to visit each slot.
/// </summary>
public class ArrowLevelFuzzTests
{
    private const int Seed = 7_340_011;
    private const int TotalInputs = 20_400;
    private static readonly TimeSpan SlowInput = TimeSpan.FromSeconds(2);

    [Fact]
    public void Mutated_files_read_as_batches_or_throw_only_ParquetFormatException()
    {
        var corpus = new List<(string Name, byte[] Bytes)>([.. TestFiles.All().Select(n => (n, TestFiles.Read(n)))]);
        int index = 0;
        foreach (ParquetCompression codec in Enum.GetValues<ParquetCompression>())
        {
            var options = new ParquetWriteOptions { Compression = codec, RowGroupSize = 6, PageSize = 50, DataPageVersion = index++ % 2 + 1 };
            corpus.Add(($"ours-{codec}", GoldenRoundTripTests.Write(InteropDataset.Schema, InteropDataset.Batches(), options)));
        }
        var random = new Random(Seed);
        int accepted = 0, rejected = 0;
        for (int i = 0; i < TotalInputs; i++)
        {
            (string name, byte[] original) = corpus[i % corpus.Count];
            byte[] mutated = MutationFuzzTests.Mutate(original, random);
            var clock = Stopwatch.StartNew();
            try
            {
                using var reader = ParquetReader.Open(mutated);
                foreach (var batch in reader.ReadAll())
                {
                    foreach (var column in batch.Columns)
                    {
                        for (int r = 0; r < batch.Length; r++)
                        {
                            _ = ArrayPrinter.GetValue(column, r);
                        }
                    }
                }
                accepted++;
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
        }
        Assert.True(accepted > 1000 && rejected > 1000, $"accepted {accepted}, rejected {rejected}");
    }
}
