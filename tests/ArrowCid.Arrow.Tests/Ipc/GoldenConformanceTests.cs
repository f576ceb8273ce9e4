using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;

namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>Every golden case of the Arrow integration suite, read both ways and written back.</summary>
public class GoldenConformanceTests
{
    public static IEnumerable<object[]> Cases() => GoldenFiles.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void File_format_matches_the_json(string name)
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz"));
        using var reader = ArrowFileReader.Open(GoldenFiles.PathOf(name, ".arrow_file"));
        var actual = new IntegrationFile(reader.Schema, reader.ReadAll().ToList());
        Assert.Null(IntegrationValidator.Compare(expected, actual));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stream_format_matches_the_json_from_memory_and_from_a_stream(string name)
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz"));
        byte[] bytes = File.ReadAllBytes(GoldenFiles.PathOf(name, ".stream"));
        var fromMemory = IntegrationValidator.Compare(expected, IntegrationValidator.ReadIpc(bytes));
        Assert.True(fromMemory is null, fromMemory);

        using var reader = new ArrowStreamReader(new MemoryStream(bytes));
        Assert.Null(IntegrationValidator.Compare(expected, new IntegrationFile(reader.Schema, reader.ReadAll().ToList())));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Our_writes_read_back_equal_in_every_format_and_codec(string name)
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz"));
        foreach (var codec in new[] { CompressionCodec.None, CompressionCodec.Lz4Frame, CompressionCodec.Zstd })
        {
            var options = new IpcWriteOptions { Compression = codec };
            foreach (bool file in new[] { false, true })
            {
                var output = new MemoryStream();
                using (ArrowStreamWriter writer = file
                    ? new ArrowFileWriter(output, expected.Schema, options, leaveOpen: true)
                    : new ArrowStreamWriter(output, expected.Schema, options, leaveOpen: true))
                {
                    foreach (var batch in expected.Batches)
                    {
                        writer.Write(batch);
                    }
                }

                var difference = IntegrationValidator.Compare(expected, IntegrationValidator.ReadIpc(output.ToArray()));
                Assert.True(difference is null, $"{(file ? "file" : "stream")} {codec}: {difference}");
            }
        }
    }
}
