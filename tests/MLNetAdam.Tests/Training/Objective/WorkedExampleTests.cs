using Xunit;

namespace MLNetAdam.Tests.Training.Objective;

/// <summary>
/// A network small enough to work out by hand: 2 inputs, 2 hidden ReLU units, 2 classes.
/// <code>
/// W1 = [[1, -1], [0.5, 1]]  (stored [out][in])   b1 = [0, -1]
/// W2 = [[1,  2], [ -1, 1]]                         b2 = [0.5, 0]
/// </code>
/// Flat parameter vector (layer by layer, W row-major then b):
/// <c>[1, -1, 0.5, 1, 0, -1, 1, 2, -1, 1, 0.5, 0]</c>.
/// </summary>
public sealed class WorkedExampleTests
{
    private static readonly double[] Parameters = [1, -1, 0.5, 1, 0, -1, 1, 2, -1, 1, 0.5, 0];

    // Indices into the flat vector.
    private const int W1 = 0, B1 = 4, W2 = 6, B2 = 10;

    // Row A: x = (1, 2), label 1.
    //   z1 = W1·x + b1 = (1·1 − 1·2 + 0, 0.5·1 + 1·2 − 1) = (−1, 1.5)
    //   h  = relu(z1) = (0, 1.5)                          (unit 0 is off: its gradient is 0)
    //   z2 = W2·h + b2 = (1·0 + 2·1.5 + 0.5, −1·0 + 1·1.5 + 0) = (3.5, 1.5)
    //   p  = softmax(z2): p1 = e^1.5 / (e^3.5 + e^1.5) = 1 / (1 + e²) = 0.11920292202211755, p0 = 0.8807970779778824
    //   loss = −ln p1 = ln(1 + e²) = 2.1269280110429727
    //   dz2 = p − onehot(1) = (d, −d) with d = 0.8807970779778824
    //   dW2 = dz2 ⊗ h = [[0, 1.5d], [0, −1.5d]],  1.5d = 1.3211956169668237
    //   db2 = dz2 = (d, −d)
    //   dh  = W2ᵀ·dz2 = (1·d + (−1)(−d), 2·d + 1·(−d)) = (2d, d)
    //   dz1 = dh ⊙ relu'(z1) = (0, d)
    //   dW1 = dz1 ⊗ x = [[0, 0], [d, 2d]],  2d = 1.7615941559557649
    //   db1 = dz1 = (0, d)
    private const double D = 0.8807970779778824;

    [Fact]
    public void SingleRowLossAndGradientMatchHandArithmetic()
    {
        TrainingData data = TrainingData.FromDense([1f, 2f], featureCount: 2, classCount: 2, labels: [1], weights: null);
        var objective = new MlpObjective<double>(new ParameterLayout([2, 2, 2]), MlpActivation.Relu, 0, maxRows: 1);
        var g = new double[12];

        double loss = objective.Evaluate(Parameters, g, data, [0]);

        Assert.Equal(2.1269280110429727, loss, 1e-13);
        double[] expected =
        [
            0, 0, D, 2 * D,       // dW1
            0, D,                 // db1
            0, 1.5 * D, 0, -1.5 * D, // dW2
            D, -D,                // db2
        ];
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - g[i]) <= 1e-14, $"g[{i}] = {g[i]:R}, by hand {expected[i]:R}");
    }

    // Two rows with example weights 2 (row A above) and 1 (row B), and L2Regularization λ = 0.1.
    // Row B: x = (−1, 1), label 0.
    //   z1 = (1·(−1) − 1·1 + 0, 0.5·(−1) + 1·1 − 1) = (−2, −0.5)  → h = (0, 0): no gradient reaches layer 1
    //   z2 = b2 = (0.5, 0);  q0 = 1 / (1 + e^−0.5) = 0.6224593312018546
    //   loss = −ln q0 = ln(1 + e^−0.5) = 0.4740769841801067;  dz2 = (q0 − 1, 1 − q0) = (−e, e), e = 0.3775406687981454
    // Weighted mean: (2·2.1269280110429727 + 1·0.4740769841801067) / 3 = 1.5759776687553506
    // L2 term: λ/2 · ΣW² = 0.05 · ((1 + 1 + 0.25 + 1) + (1 + 4 + 1 + 1)) = 0.05 · 10.25 = 0.5125 (biases excluded)
    // Loss: 1.5759776687553506 + 0.5125 = 2.088477668755351
    // Gradient = (2/3)·(row A) + (1/3)·(row B) + λ·W on the weights only:
    //   db2[0] = (2/3)d − (1/3)e = 0.4613511623858731,  db2[1] = −db2[0]
    //   dW2[0][1] = (2/3)(1.5d) + 0.1·2 = d + 0.2 = 1.0807970779778824,  dW2[0][0] = 0 + 0.1·1 = 0.1
    //   dW2[1][1] = −(2/3)(1.5d) + 0.1·1 = −d + 0.1 = −0.7807970779778824, dW2[1][0] = 0.1·(−1) = −0.1
    //   dW1[0] = (0, 0) + 0.1·(1, −1) = (0.1, −0.1)
    //   dW1[1] = (2/3)(d, 2d) + 0.1·(0.5, 1) = (0.6371980519852549, 1.2743961039705098)
    //   db1 = (2/3)(0, d) = (0, 0.5871980519852549)  (no L2 on biases)
    [Fact]
    public void WeightedRowsWithL2MatchHandArithmetic()
    {
        TrainingData data = TrainingData.FromDense([1f, 2f, -1f, 1f], featureCount: 2, classCount: 2, labels: [1, 0], weights: [2f, 1f]);
        var objective = new MlpObjective<double>(new ParameterLayout([2, 2, 2]), MlpActivation.Relu, 0.1, maxRows: 2);
        var g = new double[12];

        double loss = objective.Evaluate(Parameters, g, data, [0, 1]);

        Assert.Equal(2.088477668755351, loss, 1e-13);
        Assert.Equal(3.0, objective.LastWeight);
        double[] expected =
        [
            0.1, -0.1, 0.6371980519852549, 1.2743961039705098, // dW1
            0, 0.5871980519852549,                             // db1
            0.1, 1.0807970779778824, -0.1, -0.7807970779778824, // dW2
            0.4613511623858731, -0.4613511623858731,           // db2
        ];
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - g[i]) <= 1e-14, $"g[{i}] = {g[i]:R}, by hand {expected[i]:R}");
    }

    [Fact]
    public void FloatObjectiveGivesTheSameNumbers()
    {
        TrainingData data = TrainingData.FromDense([1f, 2f, -1f, 1f], featureCount: 2, classCount: 2, labels: [1, 0], weights: [2f, 1f]);
        var objective = new MlpObjective<float>(new ParameterLayout([2, 2, 2]), MlpActivation.Relu, 0.1, maxRows: 2);
        float[] p = Array.ConvertAll(Parameters, x => (float)x);
        var g = new float[12];

        double loss = objective.Evaluate(p, g, data, [0, 1]);

        Assert.Equal(2.088477668755351, loss, 1e-6);
        Assert.Equal(1.0807970779778824, g[W2 + 1], 1e-6);
        Assert.Equal(0.4613511623858731, g[B2], 1e-6);
        Assert.Equal(0.5871980519852549, g[B1 + 1], 1e-6);
        Assert.Equal(0.1, g[W1], 1e-6);
    }
}
