namespace ArrowCid.Names;

/// <summary>What made a name's record or chain fail to verify.</summary>
public enum NameChainFault
{
    /// <summary>A node of the chain could not be fetched.</summary>
    Missing,

    /// <summary>A block does not hash to the CID that links it.</summary>
    Tampered,

    /// <summary>A block is not a version node, or a record's value is not a chain's head.</summary>
    Malformed,

    /// <summary>The links do not count down one version at a time under one name to version 1.</summary>
    Broken,

    /// <summary>A node names another signer than the key that signed the record.</summary>
    WrongSigner,

    /// <summary>The record does not verify (see its <see cref="IpnsRecordFault"/>).</summary>
    Record,
}

/// <summary>A name's chain or record that does not verify, with what failed.</summary>
public sealed class NameChainException : Exception
{
    /// <summary>A failure of <paramref name="fault"/>.</summary>
    public NameChainException(NameChainFault fault, string message, Exception? innerException = null)
        : base(message, innerException) => Fault = fault;

    /// <summary>A malformed chain.</summary>
    public NameChainException()
        : this(NameChainFault.Malformed, "the name's chain does not verify")
    {
    }

    /// <summary>A malformed chain.</summary>
    public NameChainException(string message)
        : this(NameChainFault.Malformed, message)
    {
    }

    /// <summary>A malformed chain.</summary>
    public NameChainException(string message, Exception innerException)
        : this(NameChainFault.Malformed, message, innerException)
    {
    }

    /// <summary>What failed.</summary>
    public NameChainFault Fault { get; }

    /// <summary>The fault as the kebab-case word errors carry (<c>missing</c>, <c>tampered</c>, <c>bad-signature</c>, …).</summary>
    public string Code => Fault switch
    {
        NameChainFault.Missing => "missing",
        NameChainFault.Tampered => "tampered",
        NameChainFault.Broken => "broken",
        NameChainFault.WrongSigner => "wrong-signer",
        NameChainFault.Record => (InnerException as IpnsRecordException)?.Fault switch
        {
            IpnsRecordFault.BadSignature => "bad-signature",
            IpnsRecordFault.Expired => "expired",
            IpnsRecordFault.TooLarge => "too-large",
            _ => "bad-record",
        },
        _ => "malformed",
    };
}
