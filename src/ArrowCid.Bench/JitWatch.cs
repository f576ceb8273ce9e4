using System.Runtime;

namespace ArrowCid.Bench;

/// <summary>
/// Tells a warm-up when the JIT is done with the code it runs. A fresh process compiles its hot
/// methods several times over (tier 0, tier 0 with instrumentation, then tier 1 with the profile it
/// gathered), on a background thread and for seconds on a small machine; timing during that
/// measures the runtime's start, not the work, and counts the compiles as the work's CPU.
/// </summary>
internal sealed class JitWatch
{
    private long compiledAtLastLook = JitInfo.GetCompiledMethodCount();

    /// <summary>Methods this process has compiled so far (every thread).</summary>
    public static long CompiledMethods => JitInfo.GetCompiledMethodCount();

    /// <summary>True when no method was compiled since the previous call (or since this watch was made).</summary>
    /// <returns>Whether the JIT stayed idle since the last look.</returns>
    public bool NothingCompiledSinceLastLook()
    {
        long now = JitInfo.GetCompiledMethodCount();
        bool idle = now == compiledAtLastLook;
        compiledAtLastLook = now;
        return idle;
    }
}
