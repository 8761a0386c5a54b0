using System.Numerics;
using MLNetAdam.Numerics;
using MLNetAdam.Numerics.Kernels;

namespace MLNetAdam.Optimizers;

/// <summary>
/// Adam (Kingma &amp; Ba, 2015, "Adam: A Method for Stochastic Optimization"), with the AdamW (Loshchilov &amp; Hutter, 2019)
/// and AMSGrad (Reddi et al., 2018) variants. Follows <c>torch.optim.Adam</c> / <c>torch.optim.AdamW</c> step for step.
/// </summary>
/// <remarks>
/// At step <c>t</c> (from 1), with gradient <c>g</c> and learning rate <c>lr</c>:
/// <list type="number">
/// <item>coupled weight decay (<see cref="DecoupledWeightDecay"/> false): <c>g ← g + WeightDecay·w</c>;
/// decoupled (AdamW): <c>w ← w − lr·WeightDecay·w</c>;</item>
/// <item><c>m ← β1·m + (1 − β1)·g</c>, <c>v ← β2·v + (1 − β2)·g²</c>; with AMSGrad <c>v̂ ← max(v̂, v)</c>, else <c>v̂ = v</c>;</item>
/// <item><c>w ← w − lr / (1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + ε)</c>: bias-corrected moments, with ε added
/// <em>outside</em> the square root (as PyTorch; not inside as some papers write it).</item>
/// </list>
/// </remarks>
public sealed class AdamOptimizer : StochasticOptimizer
{
    /// <summary>Default values of the hyperparameters (PyTorch's).</summary>
    public static class Defaults
    {
        /// <summary>Default <see cref="LearningRate"/>: 1e-3.</summary>
        public const float LearningRate = 1e-3f;

        /// <summary>Default <see cref="Beta1"/>: 0.9.</summary>
        public const float Beta1 = 0.9f;

        /// <summary>Default <see cref="Beta2"/>: 0.999.</summary>
        public const float Beta2 = 0.999f;

        /// <summary>Default <see cref="Epsilon"/>: 1e-8.</summary>
        public const float Epsilon = 1e-8f;

        /// <summary>Default <see cref="WeightDecay"/>: 0.</summary>
        public const float WeightDecay = 0f;
    }

    /// <summary>Step size. Default 1e-3; must be finite and &gt; 0.</summary>
    public override float LearningRate { get; set; } = Defaults.LearningRate;

    /// <summary>Decay rate of the first-moment average. Default 0.9; valid range [0, 1).</summary>
    public float Beta1 { get; set; } = Defaults.Beta1;

    /// <summary>Decay rate of the second-moment average. Default 0.999; valid range [0, 1).</summary>
    public float Beta2 { get; set; } = Defaults.Beta2;

    /// <summary>Added to the denominator, outside the square root, for numerical stability. Default 1e-8; must be finite and &gt; 0.</summary>
    public float Epsilon { get; set; } = Defaults.Epsilon;

    /// <summary>Weight decay factor; see <see cref="DecoupledWeightDecay"/>. Default 0; must be finite and ≥ 0.</summary>
    public float WeightDecay { get; set; } = Defaults.WeightDecay;

    /// <summary>
    /// False (default): <see cref="WeightDecay"/> is coupled L2, added to the gradient as <c>torch.optim.Adam</c> does.
    /// True: AdamW, the weights shrink by <c>lr·WeightDecay·w</c> before the update, as <c>torch.optim.AdamW</c> does.
    /// </summary>
    public bool DecoupledWeightDecay { get; set; }

    /// <summary>Use AMSGrad: divide by the running maximum of the second moment. Default false.</summary>
    public bool AmsGrad { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        RequirePositive(LearningRate, nameof(LearningRate));
        RequireInRange(Beta1, 0, 1, nameof(Beta1));
        RequireInRange(Beta2, 0, 1, nameof(Beta2));
        RequirePositive(Epsilon, nameof(Epsilon));
        RequireNonNegative(WeightDecay, nameof(WeightDecay));
    }

    /// <inheritdoc/>
    public override OptimizerState CreateState(int parameterCount) => new AdamState(parameterCount, AmsGrad);

    /// <inheritdoc/>
    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate) =>
        StepInParallel(null, parameters, gradient, state, learningRate);

    internal override void StepInParallel(WorkerPool? pool, Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
    {
        AdamState s = CheckStep<AdamState>(parameters, gradient, state);
        if (s.FirstMoment.Length != parameters.Length)
            throw new ArgumentException($"The state holds {s.FirstMoment.Length} moments but there are {parameters.Length} parameters.", nameof(state));
        if (AmsGrad && s.MaxSecondMoment is null)
            throw new ArgumentException("AmsGrad is on but the state has no MaxSecondMoment; create it with AmsGrad on.", nameof(state));

        long t = ++s.StepCount;
        // Bias corrections in double, then used as float scalars (as PyTorch uses Python floats).
        double biasCorrection1 = 1 - Math.Pow(Beta1, t);
        double biasCorrection2 = 1 - Math.Pow(Beta2, t);
        var k = new AdamUpdate.Coefficients
        {
            Beta1 = Beta1,
            OneMinusBeta1 = (float)(1.0 - Beta1),
            Beta2 = Beta2,
            OneMinusBeta2 = (float)(1.0 - Beta2),
            StepSize = (float)(learningRate / biasCorrection1),
            Correction2Sqrt = (float)Math.Sqrt(biasCorrection2),
            Epsilon = Epsilon,
            CoupledDecay = DecoupledWeightDecay ? 0f : WeightDecay,
            Shrink = DecoupledWeightDecay ? (float)(1.0 - (double)learningRate * WeightDecay) : 1f,
        };
        // The AmsGrad option decides, not the state: a state with a maximum is used without it when AmsGrad is off.
        AdamUpdate.Run(pool, parameters, gradient, s.FirstMoment, s.SecondMoment, AmsGrad ? s.MaxSecondMoment : null, k);
    }
}
