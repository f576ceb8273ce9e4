using System.Security.Cryptography;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>
/// Committed test vectors: the SHA-256 and CID of the canonical bytes of the batches of
/// <see cref="CanonicalVectors"/>, also listed in docs/canonical-form.md. They pin the byte layout:
/// any change to the flatbuffer layout, message framing, buffer order, padding or normalisation
/// rules fails here. Update them (and the doc) only for a deliberate, announced format change.
/// </summary>
public class CanonicalVectorTests
{
    public static TheoryData<string, string, long, string> Vectors => new()
    {
        { "empty", "4281a97b9e4c529254b19686fa671a996fa721198adc110d2d374f56482af9ea", 136, "bafkreiccqguxxhsmkkjfjmmwq35goguzn6tscgmk3qiq2ljxj5leqkxz5i" },
        { "int32_with_null", "3c0d5951b680d9b01ac926102cc9016775bace3a6d6821256a6dc42f0a2a677c", 304, "bafkreib4bvmvdnua3gybvsjgcawmsalhow5m4otnnaqsk2tnyqxqukthpq" },
        { "mixed", "fc5398efe439be3b3bfccb97be209d658357dd4198175e5a6ec1978f2ad3e17f", 640, "bafkreih4komo7zbzxy5tx7gls67cbhlfqnl52qmyc5pfu3wbs6hsvu7bp4" },
        { "dictionary_and_list", "844186308ba5a74613f828b0c14999a211ab9d32afa4d44e0aa9641519d96477", 768, "bafkreieeigddbc5fu5dbh6biwdautgnccgvz2mvputke4cvjmqkrtwleo4" },
        { "struct_view_and_runs", "5b397e25d9ad1f99491af3b01eabadca672da26d00beff2c219b14ca8238ad3f", 920, "bafkreic3hf7clwnnd6musgxtwapkxlokm4w2e3iax37syim3ctfieofnh4" },
    };

    internal static RecordBatch Batch(string name) => name switch
    {
        "empty" => CanonicalVectors.Empty(),
        "int32_with_null" => CanonicalVectors.Int32WithNull(),
        "mixed" => CanonicalVectors.Mixed(),
        "dictionary_and_list" => CanonicalVectors.DictionaryAndList(),
        "struct_view_and_runs" => CanonicalVectors.StructViewAndRuns(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Canonical_bytes_match_the_committed_vector(string name, string sha256Hex, long length, string cid)
    {
        var batch = Batch(name);
        var bytes = CanonicalEncoder.Encode(batch);
        Assert.Equal((sha256Hex, length), (Convert.ToHexStringLower(SHA256.HashData(bytes)), (long)bytes.Length));
        Assert.Equal(cid, CanonicalEncoder.ComputeCid(batch).ToString());
        Assert.Equal(cid, Cid.ForRaw(bytes).ToString());
        Assert.Equal(Cid.Parse(cid), CanonicalEncoder.VerifyCanonical(bytes.AsMemory()));
    }

    [Fact]
    public void Cids_of_the_empty_schema_and_one_column_cases_are_raw_sha256_base32()
    {
        foreach (var batch in new[] { CanonicalVectors.Empty(), CanonicalVectors.Int32WithNull() })
        {
            var cid = CanonicalEncoder.ComputeCid(batch);
            Assert.StartsWith("bafkrei", cid.ToString(), StringComparison.Ordinal);
            Assert.Equal((1, Multicodec.Raw, Multicodec.Sha2256), (cid.Version, cid.Codec, cid.Hash.Code));
        }
    }
}
