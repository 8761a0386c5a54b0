using System.Numerics;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>Fused sigmoid, logistic loss and its gradient with respect to one logit per row (binary classification).</summary>
internal static class SigmoidCrossEntropy
{
    /// <summary>
    /// For each row's logit <c>z</c> and label <c>y</c> ∈ {0, 1}: the loss <c>−y·log σ(z) − (1 − y)·log(1 − σ(z))</c>,
    /// computed stably as <c>max(z, 0) − z·y + log(1 + e^−|z|)</c>, and the logit overwritten with the gradient of
    /// <c>scale · weight · loss</c>: <c>scale · weight · (σ(z) − y)</c>.
    /// </summary>
    /// <returns>The weighted sum of the rows' losses, in double.</returns>
    public static double LossAndGradient<T>(Span<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> weights, int rows, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            T z = logits[i];
            T y = labels[i] != 0 ? T.One : T.Zero;
            double weight = weights.IsEmpty ? 1.0 : weights[i];
            T loss = T.Max(z, T.Zero) - z * y + T.Log(T.One + T.Exp(-T.Abs(z)));
            total += weight * double.CreateTruncating(loss);
            // σ(z) without overflow: 1 / (1 + e^−z) for z ≥ 0, e^z / (1 + e^z) otherwise.
            T sigmoid = z >= T.Zero ? T.One / (T.One + T.Exp(-z)) : T.Exp(z) / (T.One + T.Exp(z));
            logits[i] = scale * T.CreateTruncating(weight) * (sigmoid - y);
        }
        return total;
    }
}
