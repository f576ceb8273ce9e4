namespace ArrowCid.Wire;

/// <summary>
/// What a node says of a SQL answer beside its rows (a Flight SQL FlightInfo's app_metadata, the
/// body of <c>POST /api/v1/sql?format=meta</c>): the result's table CID, whether a result stored
/// earlier answered, and the exact versions the query read.
/// </summary>
/// <param name="Cid">The result's table CID: fetch it, or re-run the query over the inputs and compare.</param>
/// <param name="Rows">Rows of the answer.</param>
/// <param name="Reused">True when the result stored by an earlier run over the same versions answered (the query did not run).</param>
/// <param name="Inputs">Every table the query read, in the order first named.</param>
public sealed record SqlAnswerMetadata(string Cid, long Rows, bool Reused, IReadOnlyList<SqlInputBody> Inputs);

/// <summary>A table a query read.</summary>
/// <param name="Reference">How the query named it: a name, <c>NAME@N</c> or a CID.</param>
/// <param name="Name">The table name, when the reference was one.</param>
/// <param name="Version">The version read, when the reference was a name.</param>
/// <param name="Cid">The table CID read.</param>
public sealed record SqlInputBody(string Reference, string? Name, long? Version, string Cid);
