using MLNetAdam.Trainer;

namespace MLNetAdam.Model;

/// <summary>
/// Everything needed to continue a training run exactly where it stopped: weights, optimizer state, the random
/// stream, the shuffle order, epoch and step counters, the learning-rate scheduler, class names and history.
/// <see cref="AdamMlpTrainer"/> writes one every <see cref="AdamMlpTrainer.Options.CheckpointPeriod"/> epochs to
/// <see cref="AdamMlpTrainer.Options.CheckpointPath"/>; pass it to <see cref="AdamMlpTrainer.Fit(Microsoft.ML.IDataView, TrainingCheckpoint)"/>
/// to resume. With the same data, options, seed and thread count the resumed run ends with bit-identical weights.
/// </summary>
/// <remarks>
/// The file format is versioned: an 8-byte magic, a version, the payload length, the payload and its CRC-32. It is
/// written to a temporary file in the same folder, flushed to disk and renamed over the previous checkpoint, so a
/// crash mid-write leaves the last good checkpoint in place. <see cref="Load(string)"/> throws
/// <see cref="InvalidDataException"/> for a truncated, corrupted, foreign or newer-version file, and checks every
/// size against the file's length before allocating.
/// </remarks>
public sealed class TrainingCheckpoint
{
    internal TrainingCheckpoint(CheckpointData data) => Data = data;

    internal CheckpointData Data { get; }

    /// <summary>Epochs (or batch-optimizer iterations) completed, over all phases.</summary>
    public int CompletedEpochs => Data.History.Count;

    /// <summary>0-based phase the run was in (see <see cref="AdamMlpTrainer.Options.Phases"/>).</summary>
    public int Phase => Data.Phase;

    /// <summary>Input size, hidden widths and number of classes of the network.</summary>
    public IReadOnlyList<int> LayerSizes => Data.LayerSizes;

    /// <summary>Class names in key order.</summary>
    public IReadOnlyList<string> ClassNames => Data.ClassNames;

    /// <summary>The history up to the checkpoint.</summary>
    public IReadOnlyList<TrainingEpoch> TrainingHistory => Data.History;

    /// <summary>The model as of the checkpoint (weights, class names, history).</summary>
    public AdamMlpModelParameters Model =>
        new(new ParameterLayout(Data.LayerSizes), Data.Activation, (float[])Data.Parameters.Clone(), Data.ClassNames, Data.History);

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
    public void Save(string path) => CheckpointFormat.WriteAtomically(Data, path);
}
