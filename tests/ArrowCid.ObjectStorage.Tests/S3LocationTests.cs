namespace ArrowCid.ObjectStorage.Tests;

/// <summary><c>s3://BUCKET/PREFIX</c> as serve --blocks and ARROWCID_BLOCKS take it.</summary>
public sealed class S3LocationTests
{
    [Theory]
    [InlineData("s3://blocks", "blocks", "")]
    [InlineData("s3://blocks/", "blocks", "")]
    [InlineData("s3://my-bucket.1/a/b", "my-bucket.1", "a/b/")]
    [InlineData("s3://abc/node-1/", "abc", "node-1/")]
    public void A_location_gives_its_bucket_and_a_prefix_that_ends_with_a_slash(string text, string bucket, string prefix)
    {
        var location = S3Location.Parse(text);
        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(prefix, location.Prefix);
        Assert.Equal(location, S3Location.Parse(location.ToString()));
    }

    [Theory]
    [InlineData("blocks", "must start with s3://")]
    [InlineData("http://blocks/x", "must start with s3://")]
    [InlineData("s3://ab", "3 to 63 characters")]
    [InlineData("s3://Blocks", "lowercase letters")]
    [InlineData("s3://-blocks", "start and end with a letter or digit")]
    [InlineData("s3://blocks//x", "empty, '.' or '..' part")]
    [InlineData("s3://blocks/a/../b", "empty, '.' or '..' part")]
    public void What_is_not_a_location_is_refused_saying_why(string text, string why)
    {
        var error = Assert.Throws<FormatException>(() => S3Location.Parse(text));
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }
}
