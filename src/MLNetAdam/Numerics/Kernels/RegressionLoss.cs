using System.Numerics;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>Squared-error and Huber losses and their gradients with respect to one output per row (regression).</summary>
internal static class RegressionLoss
{
    /// <summary>
    /// For each row's output <c>o</c> and target <c>t</c>, with <c>r = o − t</c>: the loss <c>r²/2</c> (within
    /// <paramref name="huberDelta"/>) or <c>δ(|r| − δ/2)</c> beyond it (Huber; an infinite δ is plain squared error),
    /// and the output overwritten with the gradient of <c>scale · weight · loss</c>: <c>scale · weight · r</c>, or
    /// <c>scale · weight · δ · sign(r)</c> beyond δ.
    /// </summary>
    /// <returns>The weighted sum of the rows' losses, in double.</returns>
    public static double LossAndGradient<T>(Span<T> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int rows, T scale, double huberDelta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T delta = T.CreateTruncating(huberDelta);
        T half = T.CreateTruncating(0.5);
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            T r = outputs[i] - T.CreateTruncating(targets[i]);
            double weight = weights.IsEmpty ? 1.0 : weights[i];
            T loss, gradient;
            if (T.Abs(r) <= delta)
            {
                loss = half * r * r;
                gradient = r;
            }
            else
            {
                loss = delta * (T.Abs(r) - half * delta);
                gradient = delta * T.CreateTruncating(T.Sign(r));
            }
            total += weight * double.CreateTruncating(loss);
            outputs[i] = scale * T.CreateTruncating(weight) * gradient;
        }
        return total;
    }
}
