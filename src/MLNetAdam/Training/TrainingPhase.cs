using MLNetAdam.Optimizers;
using MLNetAdam.Schedules;

namespace MLNetAdam.Training;

/// <summary>
/// One stage of a multi-optimizer training run (see <see cref="AdamMlpOptionsBase.Phases"/>): for example Adam for
/// some epochs, then L-BFGS on the full batch to polish. Each phase starts from the weights the previous one left.
/// </summary>
public sealed class TrainingPhase
{
    /// <summary>The optimizer of this phase.</summary>
    public MlpOptimizer Optimizer { get; set; } = new AdamOptimizer();

    /// <summary>Epochs of this phase for a <see cref="StochasticOptimizer"/>; ignored by a <see cref="BatchOptimizer"/>. Default 200; must be &gt; 0.</summary>
    public int NumberOfEpochs { get; set; } = AdamMlpTrainer.Defaults.NumberOfEpochs;

    /// <summary>Learning-rate schedule of this phase (stochastic optimizers only); null keeps the rate constant.</summary>
    public LearningRateSchedule? LearningRateSchedule { get; set; }
}
