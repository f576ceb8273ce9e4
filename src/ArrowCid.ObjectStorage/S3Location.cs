namespace ArrowCid.ObjectStorage;

/// <summary>
/// Where a store's objects live: a bucket and a key prefix, written <c>s3://BUCKET/PREFIX</c> (as
/// <c>serve --blocks</c>, <c>ARROWCID_BLOCKS</c> and the AWS CLI name them). The prefix is empty or
/// ends with <c>/</c>; every key the store writes starts with it, so a store never writes outside it.
/// </summary>
/// <param name="Bucket">The bucket's name.</param>
/// <param name="Prefix">The key prefix: empty, or ending with <c>/</c>.</param>
public sealed record S3Location(string Bucket, string Prefix)
{
    /// <summary>The URL scheme of a location.</summary>
    public const string Scheme = "s3://";

    /// <summary>Parses <c>s3://BUCKET</c> or <c>s3://BUCKET/PREFIX</c>.</summary>
    /// <param name="text">The location.</param>
    /// <returns>The location.</returns>
    /// <exception cref="FormatException">Not a location, naming what is wrong and where.</exception>
    public static S3Location Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith(Scheme, StringComparison.Ordinal))
        {
            throw new FormatException($"'{text}' is not an object store location: it must start with {Scheme} (s3://BUCKET/PREFIX)");
        }

        string rest = text[Scheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string bucket = slash < 0 ? rest : rest[..slash];
        string prefix = slash < 0 ? string.Empty : rest[(slash + 1)..];
        if (BucketProblem(bucket) is { } problem)
        {
            throw new FormatException($"'{text}': the bucket '{bucket}' (at character {Scheme.Length}) {problem}");
        }

        if (prefix.Contains("//", StringComparison.Ordinal) || prefix.StartsWith('/') || prefix.Split('/').Any(part => part is "." or ".."))
        {
            throw new FormatException($"'{text}': the prefix '{prefix}' (at character {Scheme.Length + bucket.Length + 1}) has an empty, '.' or '..' part");
        }

        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }

        return new S3Location(bucket, prefix);
    }

    /// <summary>The location as it is written: <c>s3://BUCKET/PREFIX</c>.</summary>
    public override string ToString() => $"{Scheme}{Bucket}/{Prefix}";

    // S3's bucket naming rules, as every S3-compatible server keeps them: 3–63 characters,
    // lowercase letters, digits, '.' and '-', starting and ending with a letter or digit.
    private static string? BucketProblem(string bucket)
    {
        if (bucket.Length is < 3 or > 63)
        {
            return "must be 3 to 63 characters";
        }

        if (!bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-'))
        {
            return "may hold only lowercase letters, digits, '.' and '-'";
        }

        return char.IsAsciiLetterOrDigit(bucket[0]) && char.IsAsciiLetterOrDigit(bucket[^1])
            ? null
            : "must start and end with a letter or digit";
    }
}
