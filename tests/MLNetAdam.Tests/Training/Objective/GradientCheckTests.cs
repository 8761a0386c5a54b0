using Xunit;

namespace MLNetAdam.Tests.Training.Objective;

/// <summary>
/// Checks <see cref="MlpObjective{T}"/> against an independent scalar forward pass (loss) and against central
/// finite differences of its own loss (gradient), in double, for every activation, one and two hidden layers,
/// example weights, L2 regularization, dense and sparse storage.
/// </summary>
public sealed class GradientCheckTests
{
    private const double L2 = 0.05;

    // Central difference step. The truncation error is about h^2/6 * f''' (about 1e-11) and the rounding error about
    // 2e-16 * |f| / h (about 3e-11), so the numeric derivative is good to ~5e-11 absolute (observed scaled errors
    // up to 3e-8; with h = 1e-6 rounding dominates and they grow to 2e-7).
    private const double H = 1e-5;

    // |analytic − numeric| ≤ Tolerance · max(|analytic|, Floor). A wrong derivative (a missing factor, L2 on a
    // bias, a slope of 0.1 instead of 0.01) is off by 1e-3 or more, far above this.
    private const double Tolerance = 1e-6;
    private const double Floor = 1e-3;

    // Hidden pre-activations are kept at least this far from 0, so that no finite-difference step crosses the
    // kink of ReLU / leaky ReLU (a step moves a pre-activation by at most a few times H).
    private const double KinkMargin = 1e-3;

    public static TheoryData<MlpActivation, int, bool> Cases()
    {
        var data = new TheoryData<MlpActivation, int, bool>();
        foreach (MlpActivation activation in Enum.GetValues<MlpActivation>())
            foreach (int hiddenLayers in new[] { 1, 2 })
                foreach (bool sparse in new[] { false, true })
                    data.Add(activation, hiddenLayers, sparse);
        return data;
    }

    public static TheoryData<MlpActivation> Activations()
    {
        var data = new TheoryData<MlpActivation>();
        foreach (MlpActivation activation in Enum.GetValues<MlpActivation>())
            data.Add(activation);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossMatchesIndependentForwardPass(MlpActivation activation, int hiddenLayers, bool sparse)
    {
        Problem problem = Problem.Create(activation, hiddenLayers, sparse);
        var objective = new MlpObjective<double>(problem.Layout, activation, L2, problem.RowIds.Length);

        double loss = objective.Evaluate(problem.Parameters, Span<double>.Empty, problem.Data, problem.RowIds);

        double expected = ReferenceLoss(problem, activation);
        Assert.True(Math.Abs(loss - expected) <= 1e-12 * Math.Abs(expected), $"loss {loss:R}, reference {expected:R}");
        double weight = problem.RowIds.Sum(id => (double)problem.Data.Weights![id]);
        Assert.Equal(weight, objective.LastWeight, 12);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientMatchesCentralDifferences(MlpActivation activation, int hiddenLayers, bool sparse)
    {
        Problem problem = Problem.Create(activation, hiddenLayers, sparse);
        var objective = new MlpObjective<double>(problem.Layout, activation, L2, problem.RowIds.Length);
        double[] p = problem.Parameters;
        var gradient = new double[p.Length];
        Array.Fill(gradient, double.NaN); // must be overwritten, not accumulated into
        double loss = objective.Evaluate(p, gradient, problem.Data, problem.RowIds);

        double worst = 0;
        int worstIndex = -1;
        double worstNumeric = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double original = p[i];
            p[i] = original + H;
            double plus = objective.Evaluate(p, Span<double>.Empty, problem.Data, problem.RowIds);
            p[i] = original - H;
            double minus = objective.Evaluate(p, Span<double>.Empty, problem.Data, problem.RowIds);
            p[i] = original;
            double numeric = (plus - minus) / (2 * H);
            double error = Math.Abs(gradient[i] - numeric) / Math.Max(Math.Abs(gradient[i]), Floor);
            if (!(error <= worst))
            {
                worst = error;
                worstIndex = i;
                worstNumeric = numeric;
            }
        }

        Assert.True(
            worst <= Tolerance,
            $"parameter {worstIndex}: analytic {gradient[worstIndex]:R}, numeric {worstNumeric:R}, scaled error {worst:E2}");
        // The gradient evaluation returns the same loss as the loss-only evaluation.
        Assert.Equal(objective.Evaluate(p, Span<double>.Empty, problem.Data, problem.RowIds), loss);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void SparseStorageGivesTheDenseLossAndGradient(MlpActivation activation)
    {
        // Data with many zeros; a batch of every row, out of order and with a repeat, to exercise the row lookup.
        Problem problem = Problem.Create(activation, hiddenLayers: 2, sparse: false);
        TrainingData dense = problem.Data;
        TrainingData sparse = dense.WithOtherStorage();
        Assert.False(dense.IsSparse);
        Assert.True(sparse.IsSparse);
        Assert.DoesNotContain(0f, sparse.Values!);
        Assert.Equal(dense.Dense, sparse.WithOtherStorage().Dense); // the conversion loses nothing
        int[] batch = [7, 2, 5, 2, 0, 8, 1, 3, 6, 4];

        // Separate instances, so that neither evaluation can reuse rows the other left in the scratch buffers.
        var denseGradient = new double[problem.Parameters.Length];
        var sparseGradient = new double[problem.Parameters.Length];
        double denseLoss = new MlpObjective<double>(problem.Layout, activation, L2, batch.Length).Evaluate(problem.Parameters, denseGradient, dense, batch);
        double sparseLoss = new MlpObjective<double>(problem.Layout, activation, L2, batch.Length).Evaluate(problem.Parameters, sparseGradient, sparse, batch);

        // Only the summation order differs between the two kernels.
        Assert.True(Math.Abs(denseLoss - sparseLoss) <= 1e-13 * Math.Abs(denseLoss), $"dense {denseLoss:R}, sparse {sparseLoss:R}");
        AssertClose(denseGradient, sparseGradient, relative: 1e-12, floor: 1e-3);

        // Same in float, where the kernels round differently.
        float[] p32 = Array.ConvertAll(problem.Parameters, x => (float)x);
        var denseGradient32 = new float[p32.Length];
        var sparseGradient32 = new float[p32.Length];
        double denseLoss32 = new MlpObjective<float>(problem.Layout, activation, L2, batch.Length).Evaluate(p32, denseGradient32, dense, batch);
        double sparseLoss32 = new MlpObjective<float>(problem.Layout, activation, L2, batch.Length).Evaluate(p32, sparseGradient32, sparse, batch);
        Assert.True(Math.Abs(denseLoss32 - sparseLoss32) <= 1e-6 * Math.Abs(denseLoss32), $"dense {denseLoss32:R}, sparse {sparseLoss32:R}");
        AssertClose(ToDouble(denseGradient32), ToDouble(sparseGradient32), relative: 1e-5, floor: 1e-2);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void FloatObjectiveAgreesWithDouble(MlpActivation activation)
    {
        Problem problem = Problem.Create(activation, hiddenLayers: 2, sparse: false);
        // Both evaluate exactly the same (float-representable) parameters.
        float[] p32 = Array.ConvertAll(problem.Parameters, x => (float)x);
        double[] p64 = Array.ConvertAll(p32, x => (double)x);
        int rows = problem.RowIds.Length;

        var gradient32 = new float[p32.Length];
        var gradient64 = new double[p64.Length];
        double loss32 = new MlpObjective<float>(problem.Layout, activation, L2, rows).Evaluate(p32, gradient32, problem.Data, problem.RowIds);
        double loss64 = new MlpObjective<double>(problem.Layout, activation, L2, rows).Evaluate(p64, gradient64, problem.Data, problem.RowIds);

        Assert.True(Math.Abs(loss32 - loss64) <= 1e-5 * Math.Abs(loss64), $"float {loss32:R}, double {loss64:R}");
        AssertClose(gradient64, ToDouble(gradient32), relative: 1e-5, floor: 1e-2);
    }

    [Fact]
    public void GradientCheckDetectsAWrongGradient()
    {
        // Guards the check itself: perturbing one analytic entry by 1e-5 (relative) is caught.
        Problem problem = Problem.Create(MlpActivation.Tanh, hiddenLayers: 1, sparse: false);
        var objective = new MlpObjective<double>(problem.Layout, MlpActivation.Tanh, L2, problem.RowIds.Length);
        double[] p = problem.Parameters;
        var gradient = new double[p.Length];
        objective.Evaluate(p, gradient, problem.Data, problem.RowIds);
        int i = problem.Layout.BiasOffset(0);
        double original = p[i];
        p[i] = original + H;
        double plus = objective.Evaluate(p, Span<double>.Empty, problem.Data, problem.RowIds);
        p[i] = original - H;
        double minus = objective.Evaluate(p, Span<double>.Empty, problem.Data, problem.RowIds);
        double numeric = (plus - minus) / (2 * H);
        double wrong = gradient[i] + 1e-5 * Math.Max(Math.Abs(gradient[i]), Floor);

        Assert.True(Math.Abs(gradient[i] - numeric) <= Tolerance * Math.Max(Math.Abs(gradient[i]), Floor));
        Assert.False(Math.Abs(wrong - numeric) <= Tolerance * Math.Max(Math.Abs(wrong), Floor));
    }

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, x => (double)x);

    private static void AssertClose(double[] expected, double[] actual, double relative, double floor)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = relative * Math.Max(Math.Abs(expected[i]), floor);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= bound, $"entry {i}: expected {expected[i]:R}, actual {actual[i]:R}");
        }
    }

    /// <summary>Plain scalar forward pass: weighted mean softmax cross-entropy plus L2/2 · ΣW² (no biases).</summary>
    private static double ReferenceLoss(Problem problem, MlpActivation activation)
    {
        ParameterLayout layout = problem.Layout;
        TrainingData data = problem.DenseData; // the rows as drawn, not as converted to sparse
        double[] p = problem.Parameters;
        double weighted = 0, totalWeight = 0;
        foreach (int id in problem.RowIds)
        {
            double[] z = ReferenceLogits(layout, activation, p, DenseRow(data, id), hiddenPreActivations: null);
            double max = z.Max();
            double logSum = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            double w = data.Weights![id];
            weighted += w * (logSum - z[data.Labels[id]]);
            totalWeight += w;
        }
        double squares = 0;
        for (int l = 0; l < layout.LayerCount; l++)
            for (int i = 0; i < layout.WeightLength(l); i++)
                squares += p[layout.WeightOffset(l) + i] * p[layout.WeightOffset(l) + i];
        return weighted / totalWeight + 0.5 * L2 * squares;
    }

    private static double[] DenseRow(TrainingData data, int id)
    {
        var x = new double[data.FeatureCount];
        for (int c = 0; c < x.Length; c++)
            x[c] = data.Dense![id * data.FeatureCount + c];
        return x;
    }

    /// <summary>The output logits of one row; collects every hidden pre-activation when asked.</summary>
    private static double[] ReferenceLogits(ParameterLayout layout, MlpActivation activation, double[] p, double[] x, List<double>? hiddenPreActivations)
    {
        double[] input = x;
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int inputs = layout.InputsOf(l), outputs = layout.OutputsOf(l);
            var z = new double[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double s = p[layout.BiasOffset(l) + o];
                for (int i = 0; i < inputs; i++)
                    s += p[layout.WeightOffset(l) + o * inputs + i] * input[i];
                z[o] = s;
            }
            if (l == layout.LayerCount - 1)
                return z;
            hiddenPreActivations?.AddRange(z);
            input = Array.ConvertAll(z, v => Activate(activation, v));
        }
        throw new InvalidOperationException("unreachable");
    }

    private static double Activate(MlpActivation activation, double x) => activation switch
    {
        MlpActivation.Relu => Math.Max(0, x),
        MlpActivation.LeakyRelu => x > 0 ? x : 0.01 * x,
        MlpActivation.Tanh => Math.Tanh(x),
        MlpActivation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        MlpActivation.Gelu => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>
    /// A small random network with weighted data (stored dense or sparse; <see cref="DenseData"/> is always the dense
    /// original), its parameters and a batch (all rows, out of order).
    /// </summary>
    private sealed record Problem(ParameterLayout Layout, TrainingData Data, TrainingData DenseData, double[] Parameters, int[] RowIds)
    {
        private const int Rows = 9;

        public static Problem Create(MlpActivation activation, int hiddenLayers, bool sparse)
        {
            int[] sizes = hiddenLayers == 1 ? [6, 5, 4] : [6, 5, 4, 3];
            var layout = new ParameterLayout(sizes);
            int features = sizes[0], classes = sizes[^1];
            // Draw seeded problems until one keeps every hidden pre-activation away from the ReLU kink
            // (deterministic: every run picks the same seed).
            for (int seed = 1; seed <= 100; seed++)
            {
                var random = new Random(seed * 7919 + hiddenLayers);
                var x = new float[Rows * features];
                for (int i = 0; i < x.Length; i++)
                    x[i] = random.NextDouble() < 0.35 ? 0f : (float)(4 * random.NextDouble() - 2); // ~1/3 zeros for the sparse storage
                var labels = new int[Rows];
                var weights = new float[Rows];
                for (int r = 0; r < Rows; r++)
                {
                    labels[r] = random.Next(classes);
                    weights[r] = (float)(0.25 + 1.75 * random.NextDouble());
                }
                var p = new double[layout.ParameterCount];
                for (int i = 0; i < p.Length; i++)
                    p[i] = 2 * random.NextDouble() - 1;

                TrainingData data = TrainingData.FromDense(x, features, classes, labels, weights);
                int[] rowIds = [3, 0, 8, 1, 6, 4, 2, 7, 5];
                var problem = new Problem(layout, sparse ? data.WithOtherStorage() : data, data, p, rowIds);
                var hidden = new List<double>();
                foreach (int id in rowIds)
                    ReferenceLogits(layout, activation, p, DenseRow(data, id), hidden);
                if (hidden.All(z => Math.Abs(z) > KinkMargin))
                    return problem;
            }
            throw new InvalidOperationException("No seed kept the pre-activations away from 0.");
        }
    }
}
