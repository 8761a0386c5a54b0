namespace MLNetAdam.Optimizers;

/// <summary>
/// The mutable state a <see cref="StochasticOptimizer"/> carries from one step to the next (moments, accumulators,
/// the step count). Public so that tests and checkpoints can inspect, compare and inject it.
/// </summary>
public abstract class OptimizerState
{
    /// <summary>Number of updates applied so far.</summary>
    public long StepCount { get; set; }
}
