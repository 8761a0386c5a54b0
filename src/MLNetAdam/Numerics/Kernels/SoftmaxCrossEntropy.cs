using System.Numerics;
using System.Numerics.Tensors;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>Fused softmax, cross-entropy loss and its gradient with respect to the logits.</summary>
internal static class SoftmaxCrossEntropy
{
    /// <summary>
    /// For each of the <paramref name="rows"/> rows of <paramref name="logits"/> (rows×classes), computes
    /// <c>p = softmax(z)</c> and the loss <c>-log p[label]</c>, and overwrites the row with the gradient of
    /// <c>scale * weight * loss</c>: <c>scale * weight * (p - onehot(label))</c>.
    /// </summary>
    /// <param name="logits">Logits in, gradients out.</param>
    /// <param name="labels">Class index (0-based) of each row.</param>
    /// <param name="weights">Example weight of each row; empty means every weight is 1.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="classes">Number of classes (row length).</param>
    /// <param name="scale">Factor applied to every gradient (1 / total weight for a weighted mean).</param>
    /// <returns>The weighted sum of the rows' losses, accumulated in double.</returns>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static double LossAndGradient<T>(Span<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> weights, int rows, int classes, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            Span<T> z = logits.Slice(i * classes, classes);
            int label = labels[i];
            // log p[label] = z[label] - max - log(sum exp(z - max)); subtracting the max keeps exp in range.
            T max = TensorPrimitives.Max<T>(z);
            TensorPrimitives.Subtract(z, max, z);
            T zLabel = z[label];
            TensorPrimitives.Exp<T>(z, z);
            T sum = TensorPrimitives.Sum<T>(z);
            double weight = weights.IsEmpty ? 1.0 : weights[i];
            total += weight * (double.CreateTruncating(T.Log(sum)) - double.CreateTruncating(zLabel));
            T factor = scale * T.CreateTruncating(weight) / sum;
            TensorPrimitives.Multiply(z, factor, z);
            z[label] -= scale * T.CreateTruncating(weight);
        }
        return total;
    }

    /// <summary>Replaces a row of logits by its softmax probabilities (which sum to 1).</summary>
    public static void Softmax(Span<float> z)
    {
        float max = TensorPrimitives.Max(z);
        TensorPrimitives.Subtract(z, max, z);
        TensorPrimitives.Exp(z, z);
        float sum = TensorPrimitives.Sum(z);
        TensorPrimitives.Divide(z, sum, z);
    }
}
