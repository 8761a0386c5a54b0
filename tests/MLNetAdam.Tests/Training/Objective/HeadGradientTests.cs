using Xunit;

namespace MLNetAdam.Tests.Training.Objective;

/// <summary>
/// The output heads (what the last layer is trained for): each head's loss against a hand-computed value, and the
/// objective's gradient through each head against central differences in double.
/// </summary>
public sealed class HeadGradientTests
{
    [Fact]
    public void EachHeadsLossMatchesItsFormula()
    {
        // Binary: z = 0.5, y = 1 → log(1 + e^−0.5) = 0.474077; gradient σ(0.5) − 1 = −0.377541.
        double[] logit = [0.5];
        double loss = OutputHead.Binary.LossAndGradient<double>(logit, [1], [], [], rows: 1, width: 1, scale: 1.0);
        Assert.Equal(0.4740769841801067, loss, 12);
        Assert.Equal(1 / (1 + Math.Exp(-0.5)) - 1, logit[0], 12);
        // A large negative logit with label 1 stays finite: the loss is about |z|.
        double[] far = [-800];
        Assert.Equal(800, OutputHead.Binary.LossAndGradient<double>(far, [1], [], [], 1, 1, 1.0), 9);

        // Squared error: r = 2.5 − 1 → 1.5²/2 = 1.125, gradient 1.5; Huber δ = 1 → 1·(1.5 − 0.5) = 1, gradient 1.
        double[] output = [2.5];
        Assert.Equal(1.125, OutputHead.SquaredError.LossAndGradient<double>(output, [], [1f], [], 1, 1, 1.0), 12);
        Assert.Equal(1.5, output[0], 12);
        output = [2.5];
        Assert.Equal(1.0, OutputHead.Huber(1).LossAndGradient<double>(output, [], [1f], [], 1, 1, 1.0), 12);
        Assert.Equal(1.0, output[0], 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => OutputHead.Huber(0));
    }

    public static TheoryData<string> Heads => new() { "binary", "squared", "huber" };

    private static OutputHead Head(string name) => name switch
    {
        "binary" => OutputHead.Binary,
        "squared" => OutputHead.SquaredError,
        _ => OutputHead.Huber(0.7),
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void TheObjectivesGradientThroughEachHeadMatchesCentralDifferences(string name)
    {
        var head = Head(name);
        var random = new Random(11);
        const int Rows = 7, Features = 5;
        var layout = new ParameterLayout([Features, 6, 1]);
        var x = Enumerable.Range(0, Rows * Features).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(i => i % 2).ToArray();
        var weights = Enumerable.Range(0, Rows).Select(_ => (float)(0.5 + random.NextDouble())).ToArray();
        var data = TrainingData.FromDense(x, Features, 2, labels, weights);
        if (!head.IsClassifier)
            data = data.WithTargets(Enumerable.Range(0, Rows).Select(_ => (float)(random.NextDouble() * 3 - 1.5)).ToArray());
        var p = Enumerable.Range(0, layout.ParameterCount).Select(_ => random.NextDouble() - 0.5).ToArray();
        int[] rows = [4, 0, 6, 2, 1, 5, 3];
        var objective = new MlpObjective<double>(layout, MlpActivation.Tanh, 0.01, Rows, head: head);

        var gradient = new double[p.Length];
        objective.Evaluate(p, gradient, data, rows);
        const double H = 1e-6;
        for (int i = 0; i < p.Length; i++)
        {
            var plus = (double[])p.Clone();
            var minus = (double[])p.Clone();
            plus[i] += H;
            minus[i] -= H;
            double numeric = (objective.Evaluate(plus, [], data, rows) - objective.Evaluate(minus, [], data, rows)) / (2 * H);
            Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-6 * Math.Max(1, Math.Abs(numeric)), $"{name}, parameter {i}: numeric {numeric:R}, analytic {gradient[i]:R}");
        }
    }

    [Fact]
    public void ARegressionHeadNeedsTargets()
    {
        var data = TrainingData.FromDense([1f, 2f], 1, 2, [0, 1], null);
        var objective = new MlpObjective<double>(new ParameterLayout([1, 1]), MlpActivation.Relu, 0, 2, head: OutputHead.SquaredError);
        Assert.Throws<ArgumentException>(() => objective.Evaluate(new double[2], [], data, [0, 1]));
    }
}
