using MLNetAdam.Numerics;

namespace MLNetAdam.Optimizers;

/// <summary>Stochastic gradient descent with optional (Nesterov) momentum, exactly as <c>torch.optim.SGD</c> (no dampening).</summary>
/// <remarks>
/// With gradient <c>g</c> (plus <c>WeightDecay·w</c> when set): without momentum <c>w ← w − lr·g</c>. With momentum
/// <c>μ</c>: <c>b ← g</c> on the first step, then <c>b ← μ·b + g</c>; the update direction is <c>b</c>, or
/// <c>g + μ·b</c> with <see cref="Nesterov"/> (Sutskever et al., 2013); <c>w ← w − lr·direction</c>.
/// </remarks>
public sealed class SgdOptimizer : StochasticOptimizer
{
    /// <summary>Default values of the hyperparameters.</summary>
    public static class Defaults
    {
        /// <summary>Default <see cref="LearningRate"/>: 0.01.</summary>
        public const float LearningRate = 0.01f;

        /// <summary>Default <see cref="Momentum"/>: 0.</summary>
        public const float Momentum = 0f;

        /// <summary>Default <see cref="WeightDecay"/>: 0.</summary>
        public const float WeightDecay = 0f;
    }

    /// <summary>Step size. Default 0.01; must be finite and &gt; 0.</summary>
    public override float LearningRate { get; set; } = Defaults.LearningRate;

    /// <summary>Momentum factor <c>μ</c>. Default 0; valid range [0, 1).</summary>
    public float Momentum { get; set; } = Defaults.Momentum;

    /// <summary>Use Nesterov momentum. Default false; needs <see cref="Momentum"/> &gt; 0.</summary>
    public bool Nesterov { get; set; }

    /// <summary>Coupled L2 weight decay added to the gradient. Default 0; must be finite and ≥ 0.</summary>
    public float WeightDecay { get; set; } = Defaults.WeightDecay;

    /// <inheritdoc/>
    public override void Validate()
    {
        RequirePositive(LearningRate, nameof(LearningRate));
        RequireInRange(Momentum, 0, 1, nameof(Momentum));
        RequireNonNegative(WeightDecay, nameof(WeightDecay));
        Require.That(!Nesterov || Momentum != 0, nameof(SgdOptimizer), nameof(Nesterov), $"be false unless {nameof(Momentum)} > 0", Nesterov);
    }

    /// <inheritdoc/>
    public override OptimizerState CreateState(int parameterCount) => new SgdState(parameterCount, Momentum != 0);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
    {
        var s = CheckStep<SgdState>(parameters, gradient, state);
        bool first = s.StepCount == 0;
        s.StepCount++;
        float decay = WeightDecay, mu = Momentum;
        var buffer = s.MomentumBuffer.AsSpan();
        if (mu != 0 && buffer.Length != parameters.Length)
            throw new ArgumentException("Momentum is on but the state has no momentum buffer of the right length; create it with this optimizer.", nameof(state));
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradient[i] + decay * parameters[i];
            if (mu != 0)
            {
                float b = first ? g : mu * buffer[i] + g;
                buffer[i] = b;
                g = Nesterov ? g + mu * b : b;
            }
            parameters[i] -= learningRate * g;
        }
    }
}
