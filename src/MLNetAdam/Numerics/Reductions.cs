using System.Numerics;

namespace MLNetAdam.Numerics;

/// <summary>
/// The library's reductions over float vectors, accumulated in double (STYLE: norms and L-BFGS scalars in double): the
/// gradient norm and every L-BFGS dot product go through here, so they all share one summation strategy.
/// </summary>
/// <remarks>
/// Order of summation: the vector body keeps one double partial sum per lane in two accumulators (the low and high
/// halves of each widened float vector), the lanes are added once at the end, then the scalar tail is added in index
/// order. The order depends only on the length and the vector width, never on alignment: same data, same instruction
/// set, same bits.
/// </remarks>
internal static class Reductions
{
    /// <summary>Σ a[i]·b[i] in double. Each product of two floats is exact in double; only the sum rounds.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Lengths differ: {a.Length} and {b.Length}.", nameof(b));
        double sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            // Widen each block of floats to two double vectors; two accumulators, reduced once at the end.
            var low = Vector<double>.Zero;
            var high = Vector<double>.Zero;
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(a.Slice(i)), out Vector<double> aLow, out Vector<double> aHigh);
                Vector.Widen(new Vector<float>(b.Slice(i)), out Vector<double> bLow, out Vector<double> bHigh);
                low += aLow * bLow;
                high += aHigh * bHigh;
            }
            sum = Vector.Sum(low + high);
        }
        for (; i < a.Length; i++)
            sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>Σ a[i]² in double (the squared L2 norm), with <see cref="Dot"/>'s order of summation.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> a) => Dot(a, a);

    /// <summary>max |a[i]| (0 for an empty span; NaN if any element is NaN).</summary>
    public static double MaxAbs(ReadOnlySpan<float> a)
    {
        double max = 0;
        foreach (float v in a)
        {
            double abs = Math.Abs((double)v);
            if (double.IsNaN(abs))
                return abs;
            if (abs > max)
                max = abs;
        }
        return max;
    }

    /// <summary>Σ |a[i]| in double.</summary>
    public static double SumAbs(ReadOnlySpan<float> a)
    {
        double sum = 0;
        foreach (float v in a)
            sum += Math.Abs((double)v);
        return sum;
    }
}
