using System.Security.Cryptography;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Repository;
using static ArrowCid.Bench.BenchClock;

namespace ArrowCid.Bench;

/// <summary>What one run of the CID benchmark measured.</summary>
public sealed record CidBenchmarkResult(
    long CanonicalBytes,
    long Rows,
    bool InputWasCanonical,
    double CidGbps,
    double CidSlicedGbps,
    long SlicedBytes,
    double Sha256Gbps,
    double PutGbps,
    string ScratchDirectory)
{
    /// <summary>Naming canonical input against hashing the same number of bytes: what canonicalisation costs on top of the hash.</summary>
    public double Ratio => CidGbps / Sha256Gbps;

    /// <summary>Naming a sliced batch with nulls (materialised on the way) against hashing.</summary>
    public double SlicedRatio => CidSlicedGbps / Sha256Gbps;

    /// <summary>Storing and registering against hashing.</summary>
    public double PutRatio => PutGbps / Sha256Gbps;

    /// <summary>The goal (docs/performance.md): naming canonical input runs at 0.9x SHA-256 or better.</summary>
    public bool RatioGoalMet => Ratio >= 0.9;

    /// <summary>The goal (docs/performance.md, issue 12): a put runs at 0.85x SHA-256 or better.</summary>
    public bool PutGoalMet => PutRatio >= PutGoal;

    /// <summary>The put ratio the goal asks for.</summary>
    public const double PutGoal = 0.85;
}

/// <summary>
/// Measures naming a batch by content next to plain SHA-256 of the same number of bytes, in the
/// same process and run: the CID of one large batch already in canonical shape (the canonical
/// check is a scan; the encoder streams its buffers into the hash), the CID of a slice of a batch
/// with nulls and non-zero values under them (the normaliser materialises it first), SHA-256
/// (IncrementalHash) over the canonical bytes, and a put into a fresh repository on tmpfs (the
/// canonical check, one encoding hashed as it is written into the block file, fsync, rename,
/// registry row). Rounds interleave after a warm-up round; figures are medians.
/// </summary>
public static class CidBenchmark
{
    private const int Runs = 5;

    /// <summary>Names a generated batch of about <paramref name="batchBytes"/> (docs/performance.md).</summary>
    /// <param name="batchBytes">The batch's size.</param>
    /// <param name="scratchRoot">Where scratch files go.</param>
    /// <returns>The measurements.</returns>
    public static CidBenchmarkResult Run(long batchBytes, string scratchRoot)
    {
        string scratch = Path.Combine(scratchRoot, $"arrowcid-bench-cid-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            using var raw = BenchTable.BuildSingle(batchBytes, seed: 5);
            // Made canonical once, untimed: this is the "already canonical" input producers hand over.
            var canonical = CanonicalArrays.Normalize(raw);
            var sliced = raw.Slice(1, raw.Length - 2);
            byte[] bytes = CanonicalEncoder.Encode(canonical);
            long slicedBytes = ContentRepository.ComputeCid(sliced).Bytes;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

            var cid = new double[Runs];
            var cidSliced = new double[Runs];
            var sha256 = new double[Runs];
            var put = new double[Runs];
            for (int round = -1; round < Runs; round++)
            {
                double c = Time(() => ContentRepository.ComputeCid(canonical));
                double s = Time(() =>
                {
                    sha.AppendData(bytes);
                    sha.GetHashAndReset();
                });
                double cs = Time(() => ContentRepository.ComputeCid(sliced));
                double p = TimePut(canonical, Path.Combine(scratch, $"repo-{round + 1}"));
                if (round >= 0)
                {
                    (cid[round], sha256[round], cidSliced[round], put[round]) = (c, s, cs, p);
                }
            }

            return new CidBenchmarkResult(
                bytes.LongLength,
                canonical.Length,
                InputWasCanonical: ReferenceEquals(CanonicalArrays.Normalize(canonical), canonical),
                Gbps(bytes.LongLength, Median(cid)),
                Gbps(slicedBytes, Median(cidSliced)),
                slicedBytes,
                Gbps(bytes.LongLength, Median(sha256)),
                Gbps(bytes.LongLength, Median(put)),
                scratchRoot);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>One put into a fresh repository (opened untimed, so the block is really written), which is then deleted.</summary>
    private static double TimePut(RecordBatch batch, string repositoryPath)
    {
        double seconds;
        using (var content = ContentRepository.Open(repositoryPath))
        {
            seconds = Time(() => content.PutBatch(batch));
        }

        Directory.Delete(repositoryPath, recursive: true);
        return seconds;
    }
}
