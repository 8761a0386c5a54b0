using MLNetAdam.Numerics;

namespace MLNetAdam.Optimizers;

/// <summary>
/// Adadelta (Zeiler, 2012, "ADADELTA: An Adaptive Learning Rate Method"), exactly as <c>torch.optim.Adadelta</c>.
/// </summary>
/// <remarks>
/// With gradient <c>g</c> (plus <c>WeightDecay·w</c> when set):
/// <c>E[g²] ← ρ·E[g²] + (1 − ρ)·g²</c>; <c>Δ = √(E[Δx²] + ε) / √(E[g²] + ε) · g</c>;
/// <c>E[Δx²] ← ρ·E[Δx²] + (1 − ρ)·Δ²</c>; <c>w ← w − lr·Δ</c>.
/// </remarks>
public sealed class AdadeltaOptimizer : StochasticOptimizer
{
    /// <summary>Default values of the hyperparameters (PyTorch's).</summary>
    public static class Defaults
    {
        /// <summary>Default <see cref="LearningRate"/>: 1.</summary>
        public const float LearningRate = 1f;

        /// <summary>Default <see cref="Rho"/>: 0.9.</summary>
        public const float Rho = 0.9f;

        /// <summary>Default <see cref="Epsilon"/>: 1e-6.</summary>
        public const float Epsilon = 1e-6f;

        /// <summary>Default <see cref="WeightDecay"/>: 0.</summary>
        public const float WeightDecay = 0f;
    }

    /// <summary>Factor applied to the update. Default 1; must be finite and &gt; 0.</summary>
    public override float LearningRate { get; set; } = Defaults.LearningRate;

    /// <summary>Decay rate of both running averages. Default 0.9; valid range [0, 1].</summary>
    public float Rho { get; set; } = Defaults.Rho;

    /// <summary>Added inside both square roots. Default 1e-6; must be finite and &gt; 0.</summary>
    public float Epsilon { get; set; } = Defaults.Epsilon;

    /// <summary>Coupled L2 weight decay added to the gradient. Default 0; must be finite and ≥ 0.</summary>
    public float WeightDecay { get; set; } = Defaults.WeightDecay;

    /// <inheritdoc/>
    public override void Validate()
    {
        RequirePositive(LearningRate, nameof(LearningRate));
        Require.That(Rho >= 0 && Rho <= 1, nameof(AdadeltaOptimizer), nameof(Rho), "be in [0, 1]", Rho);
        RequirePositive(Epsilon, nameof(Epsilon));
        RequireNonNegative(WeightDecay, nameof(WeightDecay));
    }

    /// <inheritdoc/>
    public override OptimizerState CreateState(int parameterCount) => new AdadeltaState(parameterCount);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
    {
        var s = CheckStep<AdadeltaState>(parameters, gradient, state);
        if (s.SquareAverage.Length != parameters.Length)
            throw new ArgumentException($"The state holds {s.SquareAverage.Length} accumulators but there are {parameters.Length} parameters.", nameof(state));
        s.StepCount++;
        float rho = Rho, oneMinusRho = (float)(1.0 - Rho), eps = Epsilon, decay = WeightDecay;
        var square = s.SquareAverage.AsSpan();
        var delta = s.DeltaAverage.AsSpan();
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradient[i] + decay * parameters[i];
            float sq = square[i] * rho + oneMinusRho * (g * g);
            square[i] = sq;
            float update = MathF.Sqrt(delta[i] + eps) / MathF.Sqrt(sq + eps) * g;
            delta[i] = delta[i] * rho + oneMinusRho * (update * update);
            parameters[i] -= learningRate * update;
        }
    }
}
