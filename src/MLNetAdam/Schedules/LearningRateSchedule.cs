namespace MLNetAdam.Schedules;

/// <summary>
/// How the learning rate of a <see cref="Optimizers.StochasticOptimizer"/> changes during training. Assign one to
/// <see cref="AdamMlpTrainer.Options.LearningRateSchedule"/>; without one the rate is constant. Ignored by batch
/// optimizers such as L-BFGS, which choose their own step lengths.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Creates a schedule. Derive from <see cref="ClosedFormSchedule"/> or <see cref="ReduceOnPlateauSchedule"/>.</summary>
    private protected LearningRateSchedule()
    {
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public abstract void Validate();

    /// <summary>Creates the per-training state that produces the rate for each step.</summary>
    /// <param name="baseLearningRate">The optimizer's <see cref="Optimizers.StochasticOptimizer.LearningRate"/>.</param>
    /// <param name="stepsPerEpoch">Optimizer steps (mini-batches) per epoch.</param>
    internal abstract LearningRateScheduler CreateScheduler(float baseLearningRate, int stepsPerEpoch);

    /// <summary>Throws when <paramref name="value"/> is not finite and &gt; 0.</summary>
    private protected void RequirePositive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{GetType().Name}.{name} must be a finite number greater than 0; got {value}.");
    }

    /// <summary>Throws when <paramref name="value"/> is not finite and ≥ 0.</summary>
    private protected void RequireNonNegative(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{GetType().Name}.{name} must be a finite number greater than or equal to 0; got {value}.");
    }
}

/// <summary>The rate in force during one training run.</summary>
internal abstract class LearningRateScheduler
{
    /// <summary>The rate for optimizer step <paramref name="step"/> (0-based, counted over the whole run).</summary>
    public abstract float LearningRate(long step);

    /// <summary>Tells the scheduler an epoch ended with <paramref name="monitoredLoss"/> (validation loss if there is validation data, else training loss).</summary>
    public virtual void EndEpoch(double monitoredLoss)
    {
    }

    /// <summary>The scheduler's mutable state, for checkpoints (empty for closed-form schedules).</summary>
    public virtual double[] SaveState() => [];

    /// <summary>Restores what <see cref="SaveState"/> returned.</summary>
    public virtual void LoadState(double[] state)
    {
        if (state.Length != 0)
            throw new ArgumentException("This schedule keeps no state.", nameof(state));
    }
}
