using MLNetAdam.Data;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;
using MLNetAdam.Persistence;

namespace MLNetAdam.Training;

/// <summary>
/// Everything needed to continue a training run exactly where it stopped: weights, optimizer state, the random
/// stream, the shuffle order, epoch and step counters, the learning-rate schedule's state, class names and history.
/// <see cref="AdamMlpTrainer"/> writes one every <see cref="AdamMlpOptionsBase.CheckpointPeriod"/> epochs to
/// <see cref="AdamMlpOptionsBase.CheckpointPath"/>; pass it to <see cref="AdamMlpTrainerBase.Fit(Microsoft.ML.IDataView, TrainingCheckpoint)"/>
/// to resume. With the same data, options, seed and thread count the resumed run ends with bit-identical weights.
/// </summary>
/// <remarks>
/// The file format is versioned: an 8-byte magic, a version (2), the payload length, the payload and its CRC-32. The
/// optimizer state is stored under the stable <see cref="OptimizerState.StateName"/> its class declares, so renaming a
/// class does not break old checkpoints. It is written to a temporary file in the same folder, flushed to disk and
/// renamed over the previous checkpoint, so a crash mid-write leaves the last good checkpoint in place.
/// <see cref="Load(string)"/> throws <see cref="InvalidDataException"/> for a truncated, corrupted, foreign or
/// other-version file, and checks every size against the file's length before allocating.
/// </remarks>
public sealed class TrainingCheckpoint
{
    internal TrainingCheckpoint(CheckpointRecord record)
    {
        Record = record;
        if (!Enum.IsDefined((MlpActivation)record.Activation))
            throw new InvalidDataException($"Corrupted checkpoint: unknown activation {record.Activation}.");
        var history = new List<TrainingHistoryEntry>(record.History.Length);
        foreach (var h in record.History)
        {
            if (h.StopReason != -1 && !Enum.IsDefined((StopReason)h.StopReason))
                throw new InvalidDataException($"Corrupted checkpoint: unknown stop reason {h.StopReason} in history entry {h.Epoch}.");
            history.Add(new TrainingHistoryEntry(h.Epoch, h.TrainingLoss, h.ValidationLoss, TimeSpan.FromTicks(h.DurationTicks))
            {
                Phase = h.Phase,
                Optimizer = h.Optimizer,
                LearningRate = h.LearningRate,
                GradientNorm = h.GradientNorm,
                Evaluations = h.Evaluations,
                StopReason = h.StopReason == -1 ? null : (StopReason)h.StopReason,
                ValidationAccuracy = h.ValidationAccuracy,
                ValidationAuc = h.ValidationAuc,
                ValidationRSquared = h.ValidationRSquared,
            });
        }
        History = history;
    }

    /// <summary>The file's contents.</summary>
    internal CheckpointRecord Record { get; }

    /// <summary>The history as the model reports it.</summary>
    internal List<TrainingHistoryEntry> History { get; }

    /// <summary>Epochs (or batch-optimizer iterations) completed, over all phases.</summary>
    public int CompletedEpochs => History.Count;

    /// <summary>0-based phase the run was in (see <see cref="AdamMlpOptionsBase.Phases"/>).</summary>
    public int Phase => Record.Phase;

    /// <summary>Input size, hidden widths and number of classes of the network.</summary>
    public IReadOnlyList<int> LayerSizes => Record.LayerSizes;

    /// <summary>Class names in key order.</summary>
    public IReadOnlyList<string> ClassNames => Record.ClassNames;

    /// <summary>The history up to the checkpoint.</summary>
    public IReadOnlyList<TrainingHistoryEntry> TrainingHistory => History;

    /// <summary>The model as of the checkpoint (weights, class names, history), taking raw features like any trained model.</summary>
    public AdamMlpModelParameters Model
    {
        get
        {
            var layout = new ParameterLayout(Record.LayerSizes);
            var parameters = Scaling is { } scaling ? InputScaling.Fold(layout, Record.Parameters, scaling) : (float[])Record.Parameters.Clone();
            if (TargetScaling is { } targets)
                parameters = OutputScaling.Fold(layout, parameters, targets);
            return new(layout, (MlpActivation)Record.Activation, parameters, Record.ClassNames, History, (MlpTask)Record.Task);
        }
    }

    /// <summary>The regression targets' standardization the run trains on, or null.</summary>
    internal TargetScaling? TargetScaling => Record.TargetScaling.Length == 2 ? new TargetScaling(Record.TargetScaling[0], Record.TargetScaling[1]) : null;

    /// <summary>What the checkpointed network predicts.</summary>
    internal MlpTask Task => (MlpTask)Record.Task;

    /// <summary>The feature scaling the run trains on, or null.</summary>
    internal FeatureScaling? Scaling => Record.ScalingShift.Length == 0 ? null : FeatureScaling.FromArrays(Record.ScalingShift, Record.ScalingFactor);

    /// <summary>Reads a checkpoint file.</summary>
    /// <param name="path">File written by the trainer.</param>
    /// <exception cref="InvalidDataException">The file is truncated, corrupted, not a checkpoint, or of an unsupported version.</exception>
    public static TrainingCheckpoint Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Reads a checkpoint from a stream (from its current position to its end).</summary>
    /// <param name="stream">A readable stream.</param>
    /// <exception cref="InvalidDataException">The data is truncated, corrupted, not a checkpoint, or of an unsupported version.</exception>
    public static TrainingCheckpoint Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new TrainingCheckpoint(CheckpointFormat.Read(stream));
    }

    /// <summary>Writes the checkpoint atomically to <paramref name="path"/> (temporary file, flush, rename).</summary>
    /// <param name="path">Destination; an existing file is replaced only once the new one is complete.</param>
    public void Save(string path) => CheckpointFormat.WriteAtomically(Record, path);

    /// <summary>The plain history records of <paramref name="history"/>, for the file.</summary>
    internal static HistoryRecord[] ToRecords(IReadOnlyList<TrainingHistoryEntry> history) =>
        history.Select(h => new HistoryRecord(
            h.Epoch, h.TrainingLoss, h.ValidationLoss, h.Duration.Ticks, h.Phase, h.Optimizer, h.LearningRate, h.GradientNorm, h.Evaluations,
            h.StopReason is { } reason ? (int)reason : -1, h.ValidationAccuracy, h.ValidationAuc, h.ValidationRSquared)).ToArray();
}
