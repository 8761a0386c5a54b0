using System.Numerics.Tensors;

namespace MLNetAdam.Numerics;

/// <summary>Gradient norm and clipping, applied to a mini-batch gradient before the optimizer step.</summary>
internal static class GradientClipping
{
    /// <summary>Global L2 norm, summed in double by <see cref="Reductions.SumOfSquares"/> (the same bits whatever the alignment).</summary>
    public static double Norm(ReadOnlySpan<float> gradient) => Math.Sqrt(Reductions.SumOfSquares(gradient));

    /// <summary>
    /// Scales <paramref name="gradient"/> by <c>maxNorm / (norm + 1e-6)</c> when that is below 1 (PyTorch's
    /// <c>clip_grad_norm_</c>), so the result has norm at most <paramref name="maxNorm"/> and the same direction.
    /// </summary>
    /// <param name="gradient">The gradient, scaled in place.</param>
    /// <param name="norm">Its L2 norm, from <see cref="Norm"/>.</param>
    /// <param name="maxNorm">The largest norm allowed.</param>
    public static void ClipByNorm(Span<float> gradient, double norm, double maxNorm)
    {
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
            TensorPrimitives.Multiply(gradient, (float)coefficient, gradient);
    }

    /// <summary>Clamps every component to [−<paramref name="limit"/>, <paramref name="limit"/>] (PyTorch's <c>clip_grad_value_</c>).</summary>
    public static void ClipByValue(Span<float> gradient, float limit)
    {
        TensorPrimitives.Min(gradient, limit, gradient);
        TensorPrimitives.Max(gradient, -limit, gradient);
    }
}
