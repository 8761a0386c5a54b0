using MLNetAdam.Numerics;

namespace MLNetAdam.Schedules;

/// <summary>
/// How the learning rate of a <see cref="Optimizers.StochasticOptimizer"/> changes during training. Assign one to
/// <c>AdamMlpTrainer.Options.LearningRateSchedule</c>; without one the rate is constant. Ignored by batch
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

    /// <summary>Creates the per-run state that produces the rate for each step.</summary>
    /// <param name="baseLearningRate">The optimizer's <see cref="Optimizers.StochasticOptimizer.LearningRate"/>.</param>
    internal abstract ScheduleState CreateState(float baseLearningRate);

    /// <summary>Throws when <paramref name="value"/> is not finite and &gt; 0.</summary>
    private protected void RequirePositive(double value, string name) => Require.Positive(value, GetType().Name, name);

    /// <summary>Throws when <paramref name="value"/> is not finite and ≥ 0.</summary>
    private protected void RequireNonNegative(double value, string name) => Require.NonNegative(value, GetType().Name, name);

    /// <summary>Throws when the integer <paramref name="value"/> is below <paramref name="minimum"/>.</summary>
    private protected void RequireAtLeast(long value, long minimum, string name) => Require.AtLeast(value, minimum, GetType().Name, name);
}

/// <summary>
/// The rate in force during one training run (a schedule's mutable state, as <see cref="Optimizers.OptimizerState"/> is an
/// optimizer's). The driver tells it the 0-based epoch of every step, so epoch-based schedules are right from the first
/// step even when the number of steps per epoch is not known in advance (a streamed view without a row count).
/// </summary>
internal abstract class ScheduleState
{
    /// <summary>The stable name checkpoints store this state under; a checkpoint resumes only into a state of the same name.</summary>
    public abstract string Name { get; }

    /// <summary>The rate for optimizer step <paramref name="step"/> (0-based, over the phase) in epoch <paramref name="epoch"/> (0-based, over the phase).</summary>
    public abstract float LearningRate(long step, int epoch);

    /// <summary>Tells the schedule an epoch ended with <paramref name="monitoredLoss"/> (validation loss if there is validation data, else training loss).</summary>
    public virtual void EndEpoch(double monitoredLoss)
    {
    }

    /// <summary>The schedule's mutable values, for checkpoints (empty for closed-form schedules).</summary>
    public virtual double[] Save() => [];

    /// <summary>Restores what <see cref="Save"/> returned.</summary>
    public virtual void Load(double[] values)
    {
        if (values.Length != 0)
            throw new ArgumentException($"The checkpoint holds {values.Length} schedule values, but a {Name} schedule keeps none.", nameof(values));
    }
}
