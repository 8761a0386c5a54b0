using MLNetAdam.Optimizers;

namespace MLNetAdam.Model;

/// <summary>
/// One entry of a model's training history: one epoch of a stochastic optimizer (a pass over the training data), or
/// one iteration of a batch optimizer such as L-BFGS.
/// </summary>
/// <param name="Epoch">
/// 1-based position in the history, counted over all phases: the epoch number for a stochastic optimizer, and each
/// batch-optimizer iteration counts as one.
/// </param>
/// <param name="TrainingLoss">
/// For a stochastic optimizer, the mean objective over the epoch's mini-batches as they were evaluated (before each
/// one's update): weighted mean cross-entropy plus the L2 term. For a batch optimizer, the full-batch objective after the iteration.
/// </param>
/// <param name="ValidationLoss">Weighted mean loss on the validation data after the entry (cross-entropy, or the regression loss on the standardized label), or null without validation data.</param>
/// <param name="Duration">Wall time of the epoch or iteration.</param>
public sealed record TrainingHistoryEntry(int Epoch, double TrainingLoss, double? ValidationLoss, TimeSpan Duration)
{
    /// <summary>0-based index of the training phase (see the trainer's <c>Options.Phases</c>); 0 with a single optimizer.</summary>
    public int Phase { get; init; }

    /// <summary>Weighted share of validation rows whose most probable class is right (classifiers), after the entry; null without validation data and for regression.</summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>Weighted area under the ROC curve on the validation data (binary models), after the entry; null otherwise.</summary>
    public double? ValidationAuc { get; init; }

    /// <summary>Weighted R² on the validation data (regression models), after the entry; null otherwise.</summary>
    public double? ValidationRSquared { get; init; }

    /// <summary>Type name of the optimizer that ran this entry.</summary>
    public string Optimizer { get; init; } = string.Empty;

    /// <summary>Learning rate of the epoch's last step (stochastic optimizers); NaN for batch optimizers.</summary>
    public double LearningRate { get; init; } = double.NaN;

    /// <summary>Mean global L2 norm of the mini-batch gradients before clipping (stochastic optimizers); null for batch optimizers.</summary>
    public double? GradientNorm { get; init; }

    /// <summary>Loss-and-gradient evaluations in this entry: mini-batches, or full-batch evaluations of a batch optimizer.</summary>
    public int Evaluations { get; init; }

    /// <summary>
    /// On the last entry of a phase that stopped before its limit: why (a batch optimizer's convergence, limit or failed
    /// line search, or <see cref="Optimizers.StopReason.EarlyStopping"/>). Otherwise null.
    /// </summary>
    public StopReason? StopReason { get; init; }
}
