using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;

namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>Message-at-a-time encoding and decoding, as Flight and shared memory use it.</summary>
public class IpcMessageDecoderTests
{
    public static IEnumerable<object[]> Cases() => GoldenFiles.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Messages_encoded_one_by_one_decode_to_the_same_batches(string name)
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz"));
        var decoder = new IpcMessageDecoder();
        var schemaMessage = MessageEncoder.EncodeSchema(expected.Schema, IpcWriteOptions.Default);
        Assert.Null(decoder.Decode(schemaMessage.Metadata, schemaMessage.BodyToArray()));

        var batches = new List<ArrowCid.Arrow.Arrays.RecordBatch>();
        foreach (var batch in expected.Batches)
        {
            foreach (var message in MessageEncoder.EncodeBatchWithDictionaries(batch, IpcWriteOptions.Default))
            {
                if (decoder.Decode(message.Metadata, message.BodyToArray()) is { } decoded)
                {
                    batches.Add(decoded);
                }
            }
        }

        Assert.Null(IntegrationValidator.Compare(expected, new IntegrationFile(decoder.Schema!, batches)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Split_cuts_a_golden_stream_into_messages_that_decode_equal(string name)
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz"));
        byte[] stream = File.ReadAllBytes(GoldenFiles.PathOf(name, ".stream"));
        var decoder = new IpcMessageDecoder();
        var batches = IpcMessageDecoder.Split(stream)
            .Select(m => decoder.Decode(m.Metadata.Span, m.Body))
            .OfType<ArrowCid.Arrow.Arrays.RecordBatch>()
            .ToList();
        Assert.Null(IntegrationValidator.Compare(expected, new IntegrationFile(decoder.Schema!, batches)));
    }

    [Fact]
    public void A_batch_before_the_schema_is_refused()
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf("1.0.0-littleendian/generated_primitive", ".json.gz"));
        var message = MessageEncoder.EncodeRecordBatch(expected.Batches[0], IpcWriteOptions.Default);
        Assert.Throws<ArrowFormatException>(() => new IpcMessageDecoder().Decode(message.Metadata, message.BodyToArray()));
    }
}
