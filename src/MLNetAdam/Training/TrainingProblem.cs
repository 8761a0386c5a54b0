using MLNetAdam.Data;
using MLNetAdam.Model;
using MLNetAdam.Numerics;

namespace MLNetAdam.Training;

/// <summary>
/// Everything the drivers need, decided once by the trainer from the options and the data: the network's shape, the
/// objective's settings, where mini-batches come from, and the threads. Nothing in it has a second default.
/// </summary>
internal sealed record TrainingProblem(
    ParameterLayout Layout,
    MlpActivation Activation,
    float L2Regularization,
    SeededRandom Random)
{
    /// <summary>The training rows in memory; null when they are streamed.</summary>
    public required TrainingData? Train { get; init; }

    /// <summary>The validation rows, or null.</summary>
    public required TrainingData? Validation { get; init; }

    /// <summary>Opens a source of the options' mini-batches over the training data (in memory or streamed).</summary>
    public required Func<IBatchSource> Batches { get; init; }

    /// <summary>Whether each epoch reshuffles the rows.</summary>
    public required bool Shuffle { get; init; }

    /// <summary>Largest global gradient norm, or null.</summary>
    public required float? GradientClipNorm { get; init; }

    /// <summary>Largest absolute gradient component, or null.</summary>
    public required float? GradientClipValue { get; init; }

    /// <summary>Dropout probability of the hidden units (mini-batch training only).</summary>
    public required float DropoutRate { get; init; }

    /// <summary>Threads for the matrix products and the update (null: the calling thread only).</summary>
    public required WorkerPool? Pool { get; init; }

    /// <summary>The feature scaling the rows already carry (folded into the model at the end), or null.</summary>
    public FeatureScaling? Scaling { get; init; }

    /// <summary>The output layer's loss. Default: softmax cross-entropy.</summary>
    public OutputHead Head { get; init; } = OutputHead.Multiclass;

    /// <summary>The regression targets' standardization the run trains on, or null.</summary>
    public TargetScaling? TargetScaling { get; init; }

    /// <summary>When to stop a phase early, or null.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>Where progress goes, or null.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>The user's cancellation token.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>The ranks training together (data parallelism), or null for this process alone.</summary>
    public Distributed.Communicator? Communicator { get; init; }

    /// <summary>Whether each rank holds its own shard of the rows (rather than all of them).</summary>
    public bool Sharded { get; init; }

    /// <summary>The example-weight column, for messages; null without one.</summary>
    public string? WeightColumnName { get; init; }

    /// <summary>Whether ML.NET's <c>CancelExecution</c> was called on the context (null when it cannot be known).</summary>
    public Func<bool>? HostCancelled { get; init; }
}
