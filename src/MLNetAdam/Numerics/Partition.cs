namespace MLNetAdam.Numerics;

/// <summary>
/// How a range of work is split between the parts of a parallel job: whole granules (for example two SIMD vectors of
/// output columns) dealt out as evenly as possible, so every element falls in exactly one part and is computed exactly
/// as it would be on one thread. Which part runs on which thread never changes a result.
/// </summary>
internal static class Partition
{
    /// <summary>The range <c>[start, end)</c> of <c>[0, length)</c> that part <paramref name="part"/> of <paramref name="parts"/> owns.</summary>
    /// <param name="length">Elements in all.</param>
    /// <param name="granule">Elements per indivisible unit (≥ 1); only the last unit may be partial.</param>
    /// <param name="part">0-based part.</param>
    /// <param name="parts">Number of parts (≥ 1).</param>
    public static (int Start, int End) Range(int length, int granule, int part, int parts)
    {
        int units = (int)(((long)length + granule - 1) / granule);
        int start = (int)Math.Min(length, (long)units * part / parts * granule);
        int end = (int)Math.Min(length, (long)units * (part + 1) / parts * granule);
        return (start, end);
    }
}
