namespace MLNetAdam.Persistence;

/// <summary>The contents of a checkpoint file, in plain data (the training layer maps them to and from its own types).</summary>
internal sealed class CheckpointRecord
{
    public required int[] LayerSizes { get; init; }

    /// <summary>The hidden activation's stored code.</summary>
    public required int Activation { get; init; }

    public required string[] ClassNames { get; init; }

    public required string FeatureColumnName { get; init; }

    /// <summary>Number of training phases of the run that wrote the checkpoint.</summary>
    public required int PhaseCount { get; init; }

    /// <summary>0-based phase in progress (or the next one when <see cref="PhaseCompleted"/>).</summary>
    public required int Phase { get; init; }

    /// <summary>Whether <see cref="Phase"/> has finished (a batch optimizer's phase is checkpointed only when it ends).</summary>
    public required bool PhaseCompleted { get; init; }

    /// <summary>Epochs done in <see cref="Phase"/>.</summary>
    public required int EpochsInPhase { get; init; }

    /// <summary>Optimizer steps done in <see cref="Phase"/> (the schedule's step counter).</summary>
    public required long StepsInPhase { get; init; }

    public required float[] Parameters { get; init; }

    /// <summary>The stable name the optimizer state declares (empty when no state is saved), to refuse restoring into another optimizer.</summary>
    public required string OptimizerState { get; init; }

    public required long OptimizerStepCount { get; init; }

    public required float[][] OptimizerBuffers { get; init; }

    /// <summary>The stable name of the learning-rate schedule's kind (empty when none is saved).</summary>
    public required string Schedule { get; init; }

    public required double[] ScheduleState { get; init; }

    public required ulong[] RandomState { get; init; }

    /// <summary>The shuffle permutation as it stood (each epoch shuffles the previous order).</summary>
    public required int[] Order { get; init; }

    public required HistoryRecord[] History { get; init; }

    /// <summary>The feature scaling the run trains on (empty arrays without one): what is subtracted, then multiplied.</summary>
    public required float[] ScalingShift { get; init; }

    /// <summary>See <see cref="ScalingShift"/>.</summary>
    public required float[] ScalingFactor { get; init; }

    /// <summary>The early-stopping monitor's values in the phase in progress (empty without one).</summary>
    public required double[] EarlyStopping { get; init; }

    /// <summary>Number of ranks (processes) that trained together.</summary>
    public required int Ranks { get; init; }

    /// <summary>What the network predicts: 0 multiclass, 1 binary, 2 regression.</summary>
    public int Task { get; init; }

    /// <summary>The regression target standardization: mean then scale, or empty without one.</summary>
    public double[] TargetScaling { get; init; } = [];

    /// <summary>The best parameters the early-stopping monitor keeps (empty when it keeps none).</summary>
    public required float[] BestParameters { get; init; }
}

/// <summary>One training-history entry as stored; <see cref="StopReason"/> is −1 for none.</summary>
internal readonly record struct HistoryRecord(
    int Epoch, double TrainingLoss, double? ValidationLoss, long DurationTicks, int Phase, string Optimizer,
    double LearningRate, double? GradientNorm, int Evaluations, int StopReason, double? ValidationAccuracy, double? ValidationAuc = null, double? ValidationRSquared = null);
