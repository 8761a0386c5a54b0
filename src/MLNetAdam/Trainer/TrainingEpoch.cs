namespace MLNetAdam.Trainer;

/// <summary>One entry of a model's training history.</summary>
/// <param name="Epoch">1-based epoch (for a <see cref="Optimizers.BatchOptimizer"/>, the iteration).</param>
/// <param name="TrainingLoss">
/// Mean objective over the epoch: the example-weighted mean cross-entropy plus the L2 term, averaged over the
/// epoch's mini-batches as they were evaluated (before each one's update).
/// </param>
/// <param name="ValidationLoss">Weighted mean cross-entropy on the validation data after the epoch, or null without validation data.</param>
/// <param name="Duration">Wall time of the epoch.</param>
public sealed record TrainingEpoch(int Epoch, double TrainingLoss, double? ValidationLoss, TimeSpan Duration);
