using System.Numerics;
using MLNetAdam.Numerics.Kernels;

namespace MLNetAdam.Model;

/// <summary>
/// The head table: everything that depends on what the last layer is trained for — its width, its loss and the
/// loss's gradient, whether it classifies. The rest of the engine (optimizers, data, persistence, drivers, the forward
/// pass) is the same for every head. Adding a head is one subclass here and one loss kernel in Numerics.
/// </summary>
internal abstract class OutputHead
{
    /// <summary>Softmax cross-entropy over the classes (today's classifier).</summary>
    public static OutputHead Multiclass { get; } = new MulticlassHead();

    /// <summary>Logistic loss on one logit; labels are 0 or 1.</summary>
    public static OutputHead Binary { get; } = new BinaryHead();

    /// <summary>Squared error on one output (half the squared residual per row, as scikit-learn's MLPRegressor).</summary>
    public static OutputHead SquaredError { get; } = new RegressionHead(double.PositiveInfinity);

    /// <summary>Huber loss with threshold <paramref name="delta"/> (&gt; 0) on one output.</summary>
    public static OutputHead Huber(double delta) =>
        delta > 0 && !double.IsNaN(delta) ? new RegressionHead(delta) : throw new ArgumentOutOfRangeException(nameof(delta), delta, "The Huber threshold must be > 0.");

    /// <summary>What a network with this head predicts.</summary>
    public abstract MlpTask Task { get; }

    /// <summary>Outputs of the last layer for a label with <paramref name="classCount"/> classes (ignored by one-output heads).</summary>
    public abstract int OutputCount(int classCount);

    /// <summary>Whether rows have classes (labels) rather than numeric targets.</summary>
    public bool IsClassifier => Task != MlpTask.Regression;

    /// <summary>
    /// The weighted sum of the rows' losses; overwrites <paramref name="outputs"/> (rows × width) with the gradient of
    /// <c>scale · weight · loss</c> per row. Classifiers read <paramref name="labels"/>, regression <paramref name="targets"/>.
    /// </summary>
    public abstract double LossAndGradient<T>(Span<T> outputs, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int rows, int width, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Whether a row's outputs predict its label (classifiers; the first maximum wins, a logit above 0 means 1).</summary>
    public abstract bool Predicts<T>(ReadOnlySpan<T> outputs, int label)
        where T : unmanaged, IFloatingPointIeee754<T>;

    private sealed class MulticlassHead : OutputHead
    {
        public override MlpTask Task => MlpTask.MulticlassClassification;

        public override int OutputCount(int classCount) => classCount;

        public override double LossAndGradient<T>(Span<T> outputs, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int rows, int width, T scale) =>
            SoftmaxCrossEntropy.LossAndGradient(outputs, labels, weights, rows, width, scale);

        public override bool Predicts<T>(ReadOnlySpan<T> outputs, int label)
        {
            int best = 0;
            for (int c = 1; c < outputs.Length; c++)
                if (outputs[c] > outputs[best])
                    best = c;
            return best == label;
        }
    }

    private sealed class BinaryHead : OutputHead
    {
        public override MlpTask Task => MlpTask.BinaryClassification;

        public override int OutputCount(int classCount) => 1;

        public override double LossAndGradient<T>(Span<T> outputs, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int rows, int width, T scale) =>
            SigmoidCrossEntropy.LossAndGradient(outputs, labels, weights, rows, scale);

        public override bool Predicts<T>(ReadOnlySpan<T> outputs, int label) => (outputs[0] > T.Zero) == (label != 0);
    }

    private sealed class RegressionHead(double delta) : OutputHead
    {
        public override MlpTask Task => MlpTask.Regression;

        public override int OutputCount(int classCount) => 1;

        public override double LossAndGradient<T>(Span<T> outputs, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int rows, int width, T scale) =>
            RegressionLoss.LossAndGradient(outputs, targets, weights, rows, scale, delta);

        public override bool Predicts<T>(ReadOnlySpan<T> outputs, int label) => false;
    }
}
