namespace MLNetAdam.Optimizers;

/// <summary>
/// The mutable state a <see cref="StochasticOptimizer"/> carries from one step to the next (moments, accumulators,
/// the step count). Public so that tests and checkpoints can inspect, compare and inject it.
/// </summary>
public abstract class OptimizerState
{
    /// <summary>
    /// The stable name under which checkpoints store this state, for example <c>"adam"</c>. A checkpoint is resumed
    /// only into a state of the same name, so choose a name once and never change it (renaming the class is then
    /// harmless). Names of the built-in states are lowercase words; prefix your own, e.g. <c>"mycompany.rmsprop"</c>.
    /// </summary>
    public abstract string StateName { get; }

    /// <summary>Number of updates applied so far.</summary>
    public long StepCount { get; set; }

    /// <summary>
    /// The state's arrays (moments, accumulators), in a fixed order. Checkpoints save them and copy them back into a
    /// state freshly created by the same optimizer, so an optimizer of your own resumes exactly when it lists every
    /// array it keeps here. Default: none.
    /// </summary>
    public virtual IReadOnlyList<float[]> Buffers => [];
}
