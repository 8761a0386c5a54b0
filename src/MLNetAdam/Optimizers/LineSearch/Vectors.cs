using System.Numerics;

namespace MLNetAdam.Optimizers.LineSearch;

/// <summary>
/// The reductions of the L-BFGS code over float vectors, accumulated in double (STYLE: L-BFGS scalars in double).
/// Each sums in index order, in blocks of the vector width then a scalar tail, so the result never depends on alignment.
/// </summary>
internal static class Vectors
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

    /// <summary>
    /// destination[i] = x[i] + t·d[i], computed in double and rounded once to float (a float <c>t</c> would lose
    /// precision on the tiny steps near a minimum).
    /// </summary>
    public static void AddScaled(ReadOnlySpan<float> x, double t, ReadOnlySpan<float> d, Span<float> destination)
    {
        if (x.Length != d.Length || destination.Length != x.Length)
            throw new ArgumentException("The vectors must have the same length.", nameof(destination));
        for (int i = 0; i < x.Length; i++)
            destination[i] = (float)(x[i] + t * d[i]);
    }
}
