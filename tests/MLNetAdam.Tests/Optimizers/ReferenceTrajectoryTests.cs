using System.Text.Json;
using Xunit;

namespace MLNetAdam.Tests.Optimizers;

/// <summary>
/// Replays the golden runs of TestData/optimizer-trajectories.json (PyTorch 1.13, float64; copied from
/// ../shared/reference) with the float32 optimizers and <see cref="MlpObjective{T}"/>.
/// </summary>
public sealed class ReferenceTrajectoryTests
{
    private const string GoldenFile = "optimizer-trajectories.json";

    // Loss of the MLP run: float32 follows PyTorch's float64 losses to about 1e-5 relative (shared/README.md).
    private const double LossTolerance = 1e-5;

    // Weights and Rosenbrock points: |actual − expected| ≤ tolerance · max(1, |expected|).
    private const double PointTolerance = 1e-4;

    /// <summary>
    /// Stochastic-optimizer runs replayed here, by name in the golden file. To add a run, implement its optimizer,
    /// teach <see cref="CreateOptimizer"/> its <c>kind</c>, and move its name to <see cref="ReplayedRuns"/> from <see cref="PendingRuns"/>.
    /// </summary>
    private static readonly string[] ReplayedRuns = ["adam", "adam_amsgrad_l2", "adamw", "adadelta"];

    public static TheoryData<string> StochasticRuns => new(ReplayedRuns);

    /// <summary>Golden runs replayed elsewhere: the full-batch <c>lbfgs</c> runs are in <see cref="LbfgsTests"/>.</summary>
    private static readonly string[] PendingRuns = ["lbfgs"];

    [Fact]
    public void EveryGoldenRunIsReplayedOrPending()
    {
        using JsonDocument golden = LoadGolden();
        foreach (string problem in new[] { "mlp", "rosenbrock" })
        {
            string[] runs = golden.RootElement.GetProperty(problem).GetProperty("runs").EnumerateObject().Select(p => p.Name).ToArray();
            foreach (string run in runs)
                Assert.True(ReplayedRuns.Contains(run) || PendingRuns.Contains(run), $"{problem}/{run} is neither replayed nor listed as pending.");
            foreach (string run in ReplayedRuns)
                Assert.Contains(run, runs);
        }
    }

    [Theory]
    [MemberData(nameof(StochasticRuns))]
    public void MlpLossesAndFinalWeightsMatchPyTorch(string run)
    {
        using JsonDocument golden = LoadGolden();
        JsonElement mlp = golden.RootElement.GetProperty("mlp");
        JsonElement reference = mlp.GetProperty("runs").GetProperty(run);
        int[] sizes = mlp.GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var layout = new ParameterLayout(sizes);
        MlpActivation activation = ParseActivation(mlp.GetProperty("activation").GetString());
        int steps = mlp.GetProperty("steps").GetInt32();
        double[] losses = ToDoubles(reference.GetProperty("losses"));
        Assert.Equal(steps + 1, losses.Length);

        // Data: the whole batch every step, no example weights.
        float[][] x = mlp.GetProperty("x").EnumerateArray().Select(row => row.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        int[] y = mlp.GetProperty("y").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.All(x, row => Assert.Equal(sizes[0], row.Length));
        TrainingData data = TrainingData.FromDense(x.SelectMany(row => row).ToArray(), sizes[0], sizes[^1], y, weights: null);
        int[] allRows = Enumerable.Range(0, y.Length).ToArray();

        float[] parameters = Flatten(layout, mlp.GetProperty("initial")).Select(v => (float)v).ToArray();
        // The optimizer applies any weight decay; the objective itself has no L2 (as PyTorch's loss has none).
        var objective = new MlpObjective<float>(layout, activation, 0, y.Length);
        StochasticOptimizer optimizer = CreateOptimizer(reference.GetProperty("hyperparameters"));
        optimizer.Validate();
        OptimizerState state = optimizer.CreateState(layout.ParameterCount);
        var gradient = new float[layout.ParameterCount];

        // losses[k] is the loss before step k; losses[steps] the loss after the last step.
        var lossErrors = new Worst();
        for (int k = 0; k <= steps; k++)
        {
            double loss = objective.Evaluate(parameters, k < steps ? gradient : Span<float>.Empty, data, allRows);
            lossErrors.Add(Math.Abs(loss - losses[k]) / Math.Abs(losses[k]), $"loss before step {k}: {loss:R}, PyTorch {losses[k]:R}");
            if (k < steps)
                optimizer.Step(parameters, gradient, state, optimizer.LearningRate);
        }
        Assert.Equal(steps, state.StepCount);
        lossErrors.AssertAtMost(LossTolerance, run);

        double[] final = Flatten(layout, reference.GetProperty("final"));
        var weightErrors = new Worst();
        for (int i = 0; i < final.Length; i++)
            weightErrors.Add(Math.Abs(parameters[i] - final[i]) / Math.Max(1, Math.Abs(final[i])), $"final parameter {i}: {parameters[i]:R}, PyTorch {final[i]:R}");
        weightErrors.AssertAtMost(PointTolerance, run);
    }

    [Theory]
    [MemberData(nameof(StochasticRuns))]
    public void RosenbrockTrajectoryMatchesPyTorch(string run)
    {
        using JsonDocument golden = LoadGolden();
        JsonElement rosenbrock = golden.RootElement.GetProperty("rosenbrock");
        JsonElement reference = rosenbrock.GetProperty("runs").GetProperty(run);
        int steps = rosenbrock.GetProperty("steps").GetInt32();
        double[][] trajectory = reference.GetProperty("trajectory").EnumerateArray().Select(ToDoubles).ToArray();
        Assert.Equal(steps + 1, trajectory.Length);
        Assert.Equal(ToDoubles(rosenbrock.GetProperty("start")), trajectory[0]);

        StochasticOptimizer optimizer = CreateOptimizer(reference.GetProperty("hyperparameters"));
        optimizer.Validate();
        OptimizerState state = optimizer.CreateState(2);
        float[] point = trajectory[0].Select(v => (float)v).ToArray();
        var gradient = new float[2];
        var errors = new Worst();

        for (int step = 1; step <= steps; step++)
        {
            // f(a, b) = (1 − a)² + 100 (b − a²)²:  ∂f/∂a = −2 (1 − a) − 400 a (b − a²),  ∂f/∂b = 200 (b − a²).
            double a = point[0], b = point[1];
            gradient[0] = (float)(-2 * (1 - a) - 400 * a * (b - a * a));
            gradient[1] = (float)(200 * (b - a * a));
            optimizer.Step(point, gradient, state, optimizer.LearningRate);
            for (int i = 0; i < 2; i++)
            {
                double expected = trajectory[step][i];
                errors.Add(Math.Abs(point[i] - expected) / Math.Max(1, Math.Abs(expected)), $"coordinate {i} after step {step}: {point[i]:R}, PyTorch {expected:R}");
            }
        }
        errors.AssertAtMost(PointTolerance, run);
    }

    /// <summary>The largest scaled error seen and where, so that a failure reports the worst point rather than the first.</summary>
    private sealed class Worst
    {
        private double _error = -1;
        private string _where = "nothing compared";

        public void Add(double error, string where)
        {
            if (!(error <= _error)) // NaN counts as worst
            {
                _error = error;
                _where = where;
            }
        }

        public void AssertAtMost(double tolerance, string run) =>
            Assert.True(_error >= 0 && _error <= tolerance, $"{run}: worst scaled error {_error:E2} > {tolerance:E0} at {_where}");
    }

    /// <summary>The optimizer a run's <c>hyperparameters</c> describe, keyed by PyTorch's class name (<c>kind</c>).</summary>
    private static StochasticOptimizer CreateOptimizer(JsonElement hyperparameters)
    {
        string? kind = hyperparameters.GetProperty("kind").GetString();
        switch (kind)
        {
            case "Adam":
            case "AdamW":
                bool decoupled = hyperparameters.GetProperty("decoupled").GetBoolean();
                Assert.Equal(kind == "AdamW", decoupled);
                return new AdamOptimizer
                {
                    LearningRate = (float)hyperparameters.GetProperty("lr").GetDouble(),
                    Beta1 = (float)hyperparameters.GetProperty("beta1").GetDouble(),
                    Beta2 = (float)hyperparameters.GetProperty("beta2").GetDouble(),
                    Epsilon = (float)hyperparameters.GetProperty("eps").GetDouble(),
                    WeightDecay = (float)hyperparameters.GetProperty("weight_decay").GetDouble(),
                    DecoupledWeightDecay = decoupled,
                    AmsGrad = hyperparameters.GetProperty("amsgrad").GetBoolean(),
                };
            case "Adadelta":
                return new AdadeltaOptimizer
                {
                    LearningRate = (float)hyperparameters.GetProperty("lr").GetDouble(),
                    Rho = (float)hyperparameters.GetProperty("rho").GetDouble(),
                    Epsilon = (float)hyperparameters.GetProperty("eps").GetDouble(),
                    WeightDecay = (float)hyperparameters.GetProperty("weight_decay").GetDouble(),
                };
            default:
                throw new NotSupportedException($"No optimizer for the golden kind '{kind}' yet.");
        }
    }

    private static MlpActivation ParseActivation(string? name) => name switch
    {
        "relu" => MlpActivation.Relu,
        "leaky_relu" => MlpActivation.LeakyRelu,
        "tanh" => MlpActivation.Tanh,
        "sigmoid" => MlpActivation.Sigmoid,
        "gelu" => MlpActivation.Gelu,
        _ => throw new NotSupportedException($"Unknown activation '{name}'."),
    };

    /// <summary>
    /// Packs PyTorch-ordered weights — one <c>[W, b]</c> pair per layer, <c>W</c> as [out][in] — into the flat
    /// parameter vector in <paramref name="layout"/> order (each layer: W row-major, then b).
    /// </summary>
    internal static double[] Flatten(ParameterLayout layout, JsonElement layers)
    {
        Assert.Equal(layout.LayerCount, layers.GetArrayLength());
        var flat = new double[layout.ParameterCount];
        Array.Fill(flat, double.NaN);
        int l = 0;
        foreach (JsonElement layer in layers.EnumerateArray())
        {
            int inputs = layout.InputsOf(l), outputs = layout.OutputsOf(l);
            double[][] w = layer[0].EnumerateArray().Select(ToDoubles).ToArray();
            double[] b = ToDoubles(layer[1]);
            Assert.Equal(outputs, w.Length);
            Assert.Equal(outputs, b.Length);
            for (int o = 0; o < outputs; o++)
            {
                Assert.Equal(inputs, w[o].Length);
                for (int i = 0; i < inputs; i++)
                    flat[layout.WeightOffset(l) + o * inputs + i] = w[o][i];
                flat[layout.BiasOffset(l) + o] = b[o];
            }
            l++;
        }
        Assert.DoesNotContain(flat, double.IsNaN); // every parameter was written once
        return flat;
    }

    private static double[] ToDoubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static JsonDocument LoadGolden() => JsonDocument.Parse(File.ReadAllText(TestData.PathOf(GoldenFile)));
}
