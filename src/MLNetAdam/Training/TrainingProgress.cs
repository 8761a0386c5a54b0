namespace MLNetAdam.Training;

/// <summary>
/// A snapshot of a running <c>Fit</c>, reported to <see cref="AdamMlpOptionsBase.Progress"/> at the end of every
/// epoch (or batch-optimizer iteration) and, within an epoch, at most about every half second.
/// </summary>
/// <param name="Phase">0-based training phase.</param>
/// <param name="Epoch">1-based epoch over all phases (a batch-optimizer iteration counts as one).</param>
/// <param name="Batch">Mini-batches done in this epoch (1 for a batch-optimizer iteration).</param>
/// <param name="BatchesPerEpoch">Mini-batches per epoch, when known (a streamed view without a row count learns it in its first epoch).</param>
/// <param name="RowsPerSecond">Training rows processed per second in this phase so far.</param>
/// <param name="RunningLoss">The mean training loss of this epoch's batches so far (the full-batch loss for a batch optimizer).</param>
/// <param name="Elapsed">Time since <c>Fit</c> started training.</param>
/// <param name="EstimatedRemaining">Estimated time to the end of this phase at the current pace (early stopping may end it sooner); null when unknown.</param>
/// <param name="IsEpochEnd">True for the report at the end of an epoch or iteration.</param>
public sealed record TrainingProgress(
    int Phase, int Epoch, int Batch, int? BatchesPerEpoch, double RowsPerSecond, double RunningLoss, TimeSpan Elapsed, TimeSpan? EstimatedRemaining, bool IsEpochEnd);
