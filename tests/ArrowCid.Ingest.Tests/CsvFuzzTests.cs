using System.Text;
using ArrowCid.Ingest.Csv;

namespace ArrowCid.Ingest.Tests;

/// <summary>
/// Seeded mutation fuzz of the CSV reader: 20,480 inputs derived from well-formed files by
/// inserting quotes, delimiters and line breaks, deleting and duplicating spans and flipping bytes
/// (invalid UTF-8 included). For every input only <see cref="CsvFormatException"/> may escape, every
/// batch is well formed, and rows never outnumber the input's line breaks plus one.
/// </summary>
public sealed class CsvFuzzTests
{
    private const int Inputs = 20_480;

    private static readonly string[] Seeds =
    [
        "id,name,score,when,ok\n1,alpha,1.5,2024-01-01T00:00:00Z,true\n2,\"be,ta\",,2024-01-02T00:00:00Z,false\n3,\"ga\"\"mma\",3,,\n",
        "a;b;c\n1;2;3\n4;5;6\n7;8;9\n",
        "d,t\n2024-03-01,2024-03-01 10:00:00\n2024-03-02,2024-03-02 11:30:00.5\n,\n",
        "x\n\"multi\nline\"\n\"\"\n-5\n",
        "n,f\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i},{i * 0.5}\n")),
    ];

    [Fact]
    public void Only_the_documented_exception_escapes_mutated_inputs()
    {
        var random = new Random(20240601);
        int failures = 0;
        long rows = 0;
        for (int i = 0; i < Inputs; i++)
        {
            byte[] input = Mutate(Encoding.UTF8.GetBytes(Seeds[i % Seeds.Length]), random);
            var options = new CsvReadOptions
            {
                Delimiter = random.Next(4) == 0 ? ';' : ',',
                HasHeader = random.Next(5) != 0,
                BatchSize = 1 + random.Next(8),
                InferenceRows = 1 + random.Next(6),
                MaxFieldChars = 256,
            };
            try
            {
                using var reader = CsvBatchReader.Open(new MemoryStream(input), options);
                foreach (var batch in reader.ReadAll())
                {
                    Assert.InRange(batch.Length, 1, options.BatchSize);
                    Assert.Equal(reader.Schema, batch.Schema);
                    Assert.All(batch.Columns, c => Assert.Equal(batch.Length, c.Length));
                    rows += batch.Length;
                }

                Assert.True(reader.RowsRead <= input.Count(b => b is (byte)'\n' or (byte)'\r') + 1, $"input {i}: more rows than lines");
            }
            catch (CsvFormatException e)
            {
                failures++;
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} ({Convert.ToBase64String(input)}): {e.GetType().Name}: {e.Message}");
            }
        }

        // Both outcomes must be exercised, or the mutations are not probing anything.
        Assert.InRange(failures, 1, Inputs - 1);
        Assert.True(rows > 0);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0: bytes.Insert(at, (byte)'"'); break;
                case 1: bytes.Insert(at, (byte)','); break;
                case 2: bytes.Insert(at, random.Next(2) == 0 ? (byte)'\n' : (byte)'\r'); break;
                case 3:
                    if (bytes.Count > 0)
                    {
                        bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(6)));
                    }

                    break;
                case 4:
                    if (bytes.Count > 0)
                    {
                        bytes[at] = (byte)random.Next(256);
                    }

                    break;
                case 5:
                    int length = Math.Min(bytes.Count - at, 1 + random.Next(30));
                    bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, length));
                    break;
                default:
                    bytes.Insert(at, (byte)"0123456789.-+eE:TZ \t"[random.Next(20)]);
                    break;
            }
        }

        return [.. bytes];
    }
}
