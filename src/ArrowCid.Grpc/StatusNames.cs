namespace ArrowCid.Grpc;

/// <summary>The canonical names of status codes (grpc/grpc doc/statuscodes.md): <c>OK</c>, <c>NOT_FOUND</c>, …, as logs and metrics show them.</summary>
public static class StatusNames
{
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>The canonical name of a code; its number for a code outside the 17 the spec defines.</summary>
    public static string Of(StatusCode code) =>
        (uint)code < (uint)Names.Length ? Names[(int)code] : ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
