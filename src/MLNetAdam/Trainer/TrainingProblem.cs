using MLNetAdam.Data;
using MLNetAdam.Model;
using MLNetAdam.Numerics;

namespace MLNetAdam.Trainer;

/// <summary>Everything a training driver needs: the data, the network's shape and the objective and loop settings.</summary>
internal sealed record TrainingProblem(
    TrainingData? Train,
    TrainingData? Validation,
    ParameterLayout Layout,
    MlpActivation Activation,
    float L2Regularization,
    SeededRandom Random)
{
    public int BatchSize { get; init; } = AdamMlpTrainer.Defaults.BatchSize;

    public bool Shuffle { get; init; } = true;

    public float? GradientClipNorm { get; init; }

    public float? GradientClipValue { get; init; }

    public float DropoutRate { get; init; }

    /// <summary>When set, mini-batches are streamed from the data view instead of <see cref="Train"/> (given the batch size).</summary>
    public Func<int, IBatchSource>? Stream { get; init; }

    /// <summary>Threads for the matrix products (null: the calling thread only).</summary>
    public WorkerPool? Pool { get; init; }
}
