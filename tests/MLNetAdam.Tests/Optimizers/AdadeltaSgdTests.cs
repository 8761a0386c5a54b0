using Xunit;

namespace MLNetAdam.Tests.Optimizers;

/// <summary>One-step tests of Adadelta and SGD against the closed-form updates, computed independently in double.</summary>
public sealed class AdadeltaSgdTests
{
    private static (float[] W, float[] G, float[] A, float[] B) Vectors(int n, int seed)
    {
        var random = new Random(seed);
        float[] Make(double scale, bool positive) => Enumerable.Range(0, n).Select(_ => (float)(positive ? random.NextDouble() * scale : (random.NextDouble() * 2 - 1) * scale)).ToArray();
        return (Make(1, false), Make(0.5, false), Make(0.1, true), Make(0.01, true));
    }

    [Theory]
    [InlineData(1, 0f)]
    [InlineData(7, 0f)]
    [InlineData(33, 0.01f)]
    [InlineData(257, 0.1f)]
    public void AdadeltaStepMatchesTheClosedForm(int n, float weightDecay)
    {
        var (w, g, sq, acc) = Vectors(n, n);
        var optimizer = new AdadeltaOptimizer { LearningRate = 0.5f, Rho = 0.8f, Epsilon = 1e-5f, WeightDecay = weightDecay };
        var state = (AdadeltaState)optimizer.CreateState(n);
        sq.CopyTo(state.SquareAverage, 0);
        acc.CopyTo(state.DeltaAverage, 0);
        state.StepCount = 4;
        var updated = (float[])w.Clone();
        optimizer.Step(updated, g, state, 0.5f);

        Assert.Equal(5, state.StepCount);
        for (int i = 0; i < n; i++)
        {
            double rho = 0.8, eps = 1e-5;
            double grad = g[i] + (double)weightDecay * w[i];
            double square = rho * sq[i] + (1 - rho) * grad * grad;
            double delta = Math.Sqrt(acc[i] + eps) / Math.Sqrt(square + eps) * grad;
            double accumulated = rho * acc[i] + (1 - rho) * delta * delta;
            double expected = w[i] - 0.5 * delta;
            Assert.Equal(square, state.SquareAverage[i], 1e-6 * Math.Max(1, Math.Abs(square)));
            Assert.Equal(accumulated, state.DeltaAverage[i], 1e-6 * Math.Max(1, Math.Abs(accumulated)));
            Assert.Equal(expected, updated[i], 2e-6 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Theory]
    [InlineData(0f, false, 0f)]
    [InlineData(0.9f, false, 0f)]
    [InlineData(0.9f, true, 0f)]
    [InlineData(0.5f, true, 0.01f)]
    public void SgdTwoStepsMatchTheClosedForm(float momentum, bool nesterov, float weightDecay)
    {
        const int n = 19;
        var (w, g1, _, _) = Vectors(n, 1);
        var (_, g2, _, _) = Vectors(n, 2);
        var optimizer = new SgdOptimizer { LearningRate = 0.1f, Momentum = momentum, Nesterov = nesterov, WeightDecay = weightDecay };
        var state = (SgdState)optimizer.CreateState(n);
        Assert.Equal(momentum != 0, state.MomentumBuffer is not null);
        var updated = (float[])w.Clone();
        optimizer.Step(updated, g1, state, 0.1f);
        var afterFirst = (float[])updated.Clone();
        optimizer.Step(updated, g2, state, 0.1f);

        for (int i = 0; i < n; i++)
        {
            // torch.optim.SGD: d = g + wd·w; b = d on the first step, then b = μ·b + d; direction = d + μ·b (Nesterov) or b.
            double x = w[i];
            double d1 = g1[i] + (double)weightDecay * x;
            double b = d1;
            x -= 0.1 * (momentum == 0 ? d1 : nesterov ? d1 + momentum * b : b);
            Assert.Equal(x, afterFirst[i], 1e-6);
            double d2 = g2[i] + (double)weightDecay * x;
            b = momentum * b + d2;
            x -= 0.1 * (momentum == 0 ? d2 : nesterov ? d2 + momentum * b : b);
            Assert.Equal(x, updated[i], 1e-6);
        }
    }

    public static TheoryData<string, Func<MlpOptimizer>> Invalid => new()
    {
        { "LearningRate", () => new AdadeltaOptimizer { LearningRate = 0 } },
        { "Rho", () => new AdadeltaOptimizer { Rho = 1.5f } },
        { "Rho", () => new AdadeltaOptimizer { Rho = -0.1f } },
        { "Rho", () => new AdadeltaOptimizer { Rho = float.NaN } },
        { "Epsilon", () => new AdadeltaOptimizer { Epsilon = 0 } },
        { "WeightDecay", () => new AdadeltaOptimizer { WeightDecay = -1 } },
        { "LearningRate", () => new SgdOptimizer { LearningRate = float.PositiveInfinity } },
        { "Momentum", () => new SgdOptimizer { Momentum = 1 } },
        { "Momentum", () => new SgdOptimizer { Momentum = -0.5f } },
        { "Nesterov", () => new SgdOptimizer { Nesterov = true } },
        { "WeightDecay", () => new SgdOptimizer { WeightDecay = float.NaN } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidSettingsThrowNamingTheOption(string option, Func<MlpOptimizer> create)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => create().Validate());
        Assert.Equal(option, e.ParamName);
        Assert.Contains(option, e.Message);
    }

    [Fact]
    public void DefaultsAreValidAndArePyTorchs()
    {
        var adadelta = new AdadeltaOptimizer();
        adadelta.Validate();
        Assert.Equal((1f, 0.9f, 1e-6f, 0f), (adadelta.LearningRate, adadelta.Rho, adadelta.Epsilon, adadelta.WeightDecay));
        var sgd = new SgdOptimizer();
        sgd.Validate();
        Assert.Equal((0f, false, 0f), (sgd.Momentum, sgd.Nesterov, sgd.WeightDecay));
    }

    [Fact]
    public void WrongStateTypeIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new SgdOptimizer().Step(new float[3], new float[3], new AdadeltaState(3), 0.1f));
        Assert.Contains("SgdState", e.Message);
        Assert.Throws<ArgumentException>(() => new AdadeltaOptimizer().Step(new float[3], new float[3], new AdadeltaState(4), 0.1f));
    }
}
