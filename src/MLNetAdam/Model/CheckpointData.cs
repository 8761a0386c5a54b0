using MLNetAdam.Trainer;

namespace MLNetAdam.Model;

/// <summary>The contents of a <see cref="TrainingCheckpoint"/>.</summary>
internal sealed class CheckpointData
{
    public required int[] LayerSizes { get; init; }

    public required MlpActivation Activation { get; init; }

    public required string[] ClassNames { get; init; }

    public required string FeatureColumnName { get; init; }

    /// <summary>0-based phase in progress (or the next one when <see cref="PhaseCompleted"/>).</summary>
    public required int Phase { get; init; }

    /// <summary>Whether <see cref="Phase"/> has finished (a batch optimizer's phase is checkpointed only when it ends).</summary>
    public required bool PhaseCompleted { get; init; }

    /// <summary>Epochs done in <see cref="Phase"/>.</summary>
    public required int EpochsInPhase { get; init; }

    /// <summary>Optimizer steps done in <see cref="Phase"/> (the schedule's step counter).</summary>
    public required long StepsInPhase { get; init; }

    public required float[] Parameters { get; init; }

    /// <summary>Type name of the optimizer state, to refuse restoring into another optimizer.</summary>
    public required string OptimizerStateType { get; init; }

    public required long OptimizerStepCount { get; init; }

    public required float[][] OptimizerBuffers { get; init; }

    public required double[] SchedulerState { get; init; }

    public required ulong[] RandomState { get; init; }

    /// <summary>The shuffle permutation as it stood (each epoch shuffles the previous order).</summary>
    public required int[] Order { get; init; }

    public required List<TrainingEpoch> History { get; init; }
}
