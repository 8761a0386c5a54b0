namespace MLNetAdam.Schedules;

/// <summary>A schedule whose rate is a pure function of the step count: see <see cref="GetLearningRate"/>.</summary>
public abstract class ClosedFormSchedule : LearningRateSchedule
{
    /// <summary>
    /// Optional linear warm-up: over the first <c>WarmupSteps</c> steps the rate is multiplied by
    /// <c>(step + 1) / WarmupSteps</c> (as PyTorch's <c>LinearLR</c> from <c>1/WarmupSteps</c> to 1). Default 0 (none); must be ≥ 0.
    /// </summary>
    public int WarmupSteps { get; set; }

    /// <summary>The learning rate at optimizer step <paramref name="step"/> in epoch <paramref name="epoch"/>, warm-up included.</summary>
    /// <param name="baseLearningRate">The optimizer's base rate.</param>
    /// <param name="step">0-based step over the phase (warm-up counts steps).</param>
    /// <param name="epoch">0-based epoch over the phase that <paramref name="step"/> falls in (epoch-based decays count epochs).</param>
    public double GetLearningRate(double baseLearningRate, long step, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        double rate = Rate(baseLearningRate, step, epoch);
        if (step < WarmupSteps)
            rate *= (step + 1) / (double)WarmupSteps;
        return rate;
    }

    /// <summary>The rate without warm-up.</summary>
    /// <param name="baseLearningRate">The optimizer's base rate.</param>
    /// <param name="step">0-based step over the phase.</param>
    /// <param name="epoch">0-based epoch over the phase.</param>
    protected abstract double Rate(double baseLearningRate, long step, int epoch);

    /// <inheritdoc/>
    public override void Validate()
    {
        RequireAtLeast(WarmupSteps, 0, nameof(WarmupSteps));
    }

    internal override ScheduleState CreateState(float baseLearningRate) => new State(this, baseLearningRate);

    private sealed class State(ClosedFormSchedule schedule, float baseLearningRate) : ScheduleState
    {
        public override string Name => "closed-form";

        public override float LearningRate(long step, int epoch) => (float)schedule.GetLearningRate(baseLearningRate, step, epoch);
    }
}

/// <summary>A constant rate (with optional warm-up).</summary>
public sealed class ConstantSchedule : ClosedFormSchedule
{
    /// <inheritdoc/>
    protected override double Rate(double baseLearningRate, long step, int epoch) => baseLearningRate;
}

/// <summary>Multiplies the rate by <see cref="Gamma"/> every <see cref="StepEpochs"/> epochs, as PyTorch's <c>StepLR</c>: <c>lr·γ^⌊epoch / StepEpochs⌋</c>.</summary>
public sealed class StepSchedule : ClosedFormSchedule
{
    /// <summary>Epochs between decays. Default 10; must be ≥ 1.</summary>
    public int StepEpochs { get; set; } = 10;

    /// <summary>Decay factor. Default 0.1; must be finite and &gt; 0.</summary>
    public double Gamma { get; set; } = 0.1;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        RequireAtLeast(StepEpochs, 1, nameof(StepEpochs));
        RequirePositive(Gamma, nameof(Gamma));
    }

    /// <inheritdoc/>
    protected override double Rate(double baseLearningRate, long step, int epoch) =>
        baseLearningRate * Math.Pow(Gamma, epoch / StepEpochs);
}

/// <summary>Multiplies the rate by <see cref="Gamma"/> every epoch, as PyTorch's <c>ExponentialLR</c>: <c>lr·γ^epoch</c>.</summary>
public sealed class ExponentialSchedule : ClosedFormSchedule
{
    /// <summary>Decay factor per epoch. Default 0.95; must be finite and &gt; 0.</summary>
    public double Gamma { get; set; } = 0.95;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        RequirePositive(Gamma, nameof(Gamma));
    }

    /// <inheritdoc/>
    protected override double Rate(double baseLearningRate, long step, int epoch) =>
        baseLearningRate * Math.Pow(Gamma, epoch);
}

/// <summary>
/// Cosine annealing from the base rate to <see cref="MinimumLearningRate"/> over <see cref="Epochs"/> epochs, as PyTorch's
/// <c>CosineAnnealingLR</c> (closed form, no restarts): <c>η_min + (η − η_min)(1 + cos(π·epoch / Epochs)) / 2</c>; after
/// <see cref="Epochs"/> epochs the rate stays at <see cref="MinimumLearningRate"/>. Combine with <see cref="ClosedFormSchedule.WarmupSteps"/> for warm-up.
/// </summary>
public sealed class CosineAnnealingSchedule : ClosedFormSchedule
{
    /// <summary>Epochs from the base rate to the minimum (PyTorch's <c>T_max</c>). Default 10; must be ≥ 1.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>The final rate (PyTorch's <c>eta_min</c>). Default 0; must be finite and ≥ 0.</summary>
    public double MinimumLearningRate { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        RequireAtLeast(Epochs, 1, nameof(Epochs));
        RequireNonNegative(MinimumLearningRate, nameof(MinimumLearningRate));
    }

    /// <inheritdoc/>
    protected override double Rate(double baseLearningRate, long step, int epoch)
    {
        epoch = Math.Min(epoch, Epochs);
        return MinimumLearningRate + (baseLearningRate - MinimumLearningRate) * (1 + Math.Cos(Math.PI * epoch / Epochs)) / 2;
    }
}
