using System.IO.Hashing;
using System.Text;

namespace MLNetAdam.Persistence;

/// <summary>
/// The checkpoint file format, version 3: the magic <c>MLNACKPT</c>, an int32 version, an int64 payload length,
/// the payload (little-endian fields, see <see cref="WritePayload"/>), and the payload's CRC-32.
/// </summary>
/// <remarks>
/// Version 2 keys the optimizer state and the schedule state by the stable names their classes declare (version 1 used
/// CLR type names, so renaming a class broke every checkpoint) and records the number of phases. Version 1 files are
/// refused with a message that says so. Version 3 adds the task (multiclass, binary, regression) and the regression
/// target standardization, and each history entry its validation AUC and R².
/// </remarks>
internal static class CheckpointFormat
{
    public const int Version = 3;
    private static readonly byte[] Magic = "MLNACKPT"u8.ToArray();
    private const int HeaderLength = 8 + 4 + 8;
    private const int ChunkSize = 1 << 16;

    /// <summary>Writes to a temporary file beside <paramref name="path"/>, flushes it to disk, then renames it over <paramref name="path"/>.</summary>
    /// <param name="data">What to write.</param>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="wrap">For tests: wraps the file stream (for example to fail after some bytes, as a crash would).</param>
    public static void WriteAtomically(CheckpointRecord data, string path, Func<Stream, Stream>? wrap = null) =>
        AtomicFile.Write(path, file =>
        {
            var target = wrap?.Invoke(file) ?? file;
            Write(data, target);
            target.Flush();
        }, "The checkpoint file");

    /// <summary>Writes the whole file format to <paramref name="stream"/>.</summary>
    public static void Write(CheckpointRecord data, Stream stream)
    {
        var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
            WritePayload(data, writer);
        using var header = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        header.Write(Magic);
        header.Write(Version);
        header.Write(payload.Length);
        header.Write(payload.GetBuffer(), 0, (int)payload.Length);
        header.Write(Crc32.HashToUInt32(payload.GetBuffer().AsSpan(0, (int)payload.Length)));
    }

    /// <summary>Reads and checks a checkpoint; anything wrong with the bytes is an <see cref="InvalidDataException"/>.</summary>
    public static CheckpointRecord Read(Stream stream)
    {
        var header = new byte[HeaderLength];
        int got = stream.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
        if (got < HeaderLength)
            throw new InvalidDataException($"Not a checkpoint: the data is {got} bytes long, shorter than the {HeaderLength}-byte header.");
        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException("Not an MLNetAdam checkpoint: the file does not start with 'MLNACKPT'.");
        int version = BitConverter.ToInt32(header, 8);
        if (version == 1)
            throw new InvalidDataException(
                "This checkpoint was written in format version 1 by an earlier MLNetAdam, which keyed the optimizer state by class name; "
                + $"this library reads version {Version} only. Resume it with the version that wrote it, or start the run again.");
        if (version != Version)
            throw new InvalidDataException($"Unsupported checkpoint version {version}; this library reads version {Version}.");
        long length = BitConverter.ToInt64(header, 12);
        if (length < 0 || length > Array.MaxLength)
            throw new InvalidDataException($"Corrupted checkpoint: invalid payload length {length}.");
        if (stream.CanSeek && stream.Length - stream.Position != length + 4)
            throw new InvalidDataException($"Corrupted or truncated checkpoint: the header announces {length + 4} more bytes but {stream.Length - stream.Position} follow.");

        // Read in chunks, so that a corrupted length never allocates more than the data that really exists.
        var payload = new MemoryStream();
        var chunk = new byte[ChunkSize];
        long remaining = length;
        while (remaining > 0)
        {
            int n = stream.Read(chunk, 0, (int)Math.Min(ChunkSize, remaining));
            if (n == 0)
                throw new InvalidDataException($"Truncated checkpoint: {remaining} bytes of the payload are missing.");
            payload.Write(chunk, 0, n);
            remaining -= n;
        }
        var crc = new byte[4];
        if (stream.ReadAtLeast(crc, 4, throwOnEndOfStream: false) < 4)
            throw new InvalidDataException("Truncated checkpoint: the checksum is missing.");
        if (stream.ReadByte() != -1)
            throw new InvalidDataException("Corrupted checkpoint: extra bytes after the checksum.");
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        if (Crc32.HashToUInt32(bytes) != BitConverter.ToUInt32(crc))
            throw new InvalidDataException("Corrupted checkpoint: the checksum does not match the contents.");

        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload.GetBuffer(), 0, (int)payload.Length, writable: false), Encoding.UTF8);
            var data = ReadPayload(reader);
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException("Corrupted checkpoint: unread bytes at the end of the payload.");
            Check(data);
            return data;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or OverflowException or FormatException or DecoderFallbackException)
        {
            throw new InvalidDataException($"Corrupted checkpoint: {e.Message}", e);
        }
    }

    /// <summary>The payload, field by field.</summary>
    private static void WritePayload(CheckpointRecord d, BinaryWriter w)
    {
        WriteInts(w, d.LayerSizes);
        w.Write(d.Activation);
        w.Write(d.ClassNames.Length);
        foreach (string name in d.ClassNames)
            w.Write(name);
        w.Write(d.FeatureColumnName);
        w.Write(d.PhaseCount);
        w.Write(d.Phase);
        w.Write(d.PhaseCompleted);
        w.Write(d.EpochsInPhase);
        w.Write(d.StepsInPhase);
        WriteFloats(w, d.Parameters);
        w.Write(d.OptimizerState);
        w.Write(d.OptimizerStepCount);
        w.Write(d.OptimizerBuffers.Length);
        foreach (var buffer in d.OptimizerBuffers)
            WriteFloats(w, buffer);
        w.Write(d.Schedule);
        w.Write(d.ScheduleState.Length);
        foreach (double v in d.ScheduleState)
            w.Write(v);
        w.Write(d.RandomState.Length);
        foreach (ulong v in d.RandomState)
            w.Write(v);
        WriteInts(w, d.Order);
        w.Write(d.History.Length);
        foreach (var h in d.History)
        {
            w.Write(h.Epoch);
            w.Write(h.TrainingLoss);
            w.Write(h.ValidationLoss.HasValue);
            w.Write(h.ValidationLoss ?? 0);
            w.Write(h.DurationTicks);
            w.Write(h.Phase);
            w.Write(h.Optimizer);
            w.Write(h.LearningRate);
            w.Write(h.GradientNorm.HasValue);
            w.Write(h.GradientNorm ?? 0);
            w.Write(h.Evaluations);
            w.Write(h.StopReason);
            w.Write(h.ValidationAccuracy.HasValue);
            w.Write(h.ValidationAccuracy ?? 0);
            w.Write(h.ValidationAuc.HasValue);
            w.Write(h.ValidationAuc ?? 0);
            w.Write(h.ValidationRSquared.HasValue);
            w.Write(h.ValidationRSquared ?? 0);
        }
        WriteFloats(w, d.ScalingShift);
        WriteFloats(w, d.ScalingFactor);
        w.Write(d.EarlyStopping.Length);
        foreach (double v in d.EarlyStopping)
            w.Write(v);
        WriteFloats(w, d.BestParameters);
        w.Write(d.Ranks);
        w.Write(d.Task);
        w.Write(d.TargetScaling.Length);
        foreach (double v in d.TargetScaling)
            w.Write(v);
    }

    private static CheckpointRecord ReadPayload(BinaryReader r)
    {
        int[] sizes = ReadInts(r);
        int activation = r.ReadInt32();
        int classCount = ReadCount(r, 1);
        var classNames = new string[classCount];
        for (int i = 0; i < classCount; i++)
            classNames[i] = r.ReadString();
        string feature = r.ReadString();
        int phaseCount = r.ReadInt32();
        int phase = r.ReadInt32();
        bool completed = r.ReadBoolean();
        int epochsInPhase = r.ReadInt32();
        long stepsInPhase = r.ReadInt64();
        float[] parameters = ReadFloats(r);
        string stateType = r.ReadString();
        long stepCount = r.ReadInt64();
        var buffers = new float[ReadCount(r, 4)][];
        for (int i = 0; i < buffers.Length; i++)
            buffers[i] = ReadFloats(r);
        string schedule = r.ReadString();
        var scheduler = new double[ReadCount(r, 8)];
        for (int i = 0; i < scheduler.Length; i++)
            scheduler[i] = r.ReadDouble();
        var random = new ulong[ReadCount(r, 8)];
        for (int i = 0; i < random.Length; i++)
            random[i] = r.ReadUInt64();
        int[] order = ReadInts(r);
        int historyCount = ReadCount(r, 71);
        var history = new HistoryRecord[historyCount];
        for (int i = 0; i < historyCount; i++)
        {
            int epoch = r.ReadInt32();
            double loss = r.ReadDouble();
            bool hasValidation = r.ReadBoolean();
            double validation = r.ReadDouble();
            long ticks = r.ReadInt64();
            int entryPhase = r.ReadInt32();
            string optimizer = r.ReadString();
            double rate = r.ReadDouble();
            double? norm = r.ReadBoolean() ? r.ReadDouble() : SkipDouble(r);
            int evaluations = r.ReadInt32();
            int stop = r.ReadInt32();
            double? accuracy = r.ReadBoolean() ? r.ReadDouble() : SkipDouble(r);
            double? auc = r.ReadBoolean() ? r.ReadDouble() : SkipDouble(r);
            double? rSquared = r.ReadBoolean() ? r.ReadDouble() : SkipDouble(r);
            history[i] = new HistoryRecord(epoch, loss, hasValidation ? validation : null, ticks, entryPhase, optimizer, rate, norm, evaluations, stop, accuracy, auc, rSquared);
        }
        float[] shift = ReadFloats(r);
        float[] factor = ReadFloats(r);
        var earlyStopping = new double[ReadCount(r, 8)];
        for (int i = 0; i < earlyStopping.Length; i++)
            earlyStopping[i] = r.ReadDouble();
        float[] best = ReadFloats(r);
        int ranks = r.ReadInt32();
        if (ranks < 1)
            throw new InvalidDataException($"Corrupted checkpoint: {ranks} ranks.");
        int task = r.ReadInt32();
        var targetScaling = new double[ReadCount(r, 8)];
        for (int i = 0; i < targetScaling.Length; i++)
            targetScaling[i] = r.ReadDouble();
        return new CheckpointRecord
        {
            Task = task,
            TargetScaling = targetScaling,
            Ranks = ranks,
            ScalingShift = shift,
            ScalingFactor = factor,
            EarlyStopping = earlyStopping,
            BestParameters = best,
            LayerSizes = sizes,
            Activation = activation,
            ClassNames = classNames,
            FeatureColumnName = feature,
            PhaseCount = phaseCount,
            Phase = phase,
            PhaseCompleted = completed,
            EpochsInPhase = epochsInPhase,
            StepsInPhase = stepsInPhase,
            Parameters = parameters,
            OptimizerState = stateType,
            OptimizerStepCount = stepCount,
            OptimizerBuffers = buffers,
            Schedule = schedule,
            ScheduleState = scheduler,
            RandomState = random,
            Order = order,
            History = history,
        };
    }

    // Semantic checks: the pieces must fit together before anything is built from them.
    private static void Check(CheckpointRecord d)
    {
        if (d.LayerSizes.Length < 2 || d.LayerSizes.Any(s => s <= 0))
            throw new InvalidDataException($"Corrupted checkpoint: invalid layer sizes [{string.Join(", ", d.LayerSizes)}].");
        long count = Onnx.OnnxNetwork.ParameterCount(d.LayerSizes);
        if (count != d.Parameters.Length)
            throw new InvalidDataException($"Corrupted checkpoint: {d.Parameters.Length} parameters for layer sizes that need {count}.");
        if (d.Task is < 0 or > 2)
            throw new InvalidDataException($"Corrupted checkpoint: unknown task {d.Task}.");
        int classes = d.Task switch { 0 => d.LayerSizes[^1], 1 => 2, _ => 0 };
        if (d.Task != 0 && d.LayerSizes[^1] != 1)
            throw new InvalidDataException($"Corrupted checkpoint: a binary or regression network with {d.LayerSizes[^1]} outputs.");
        if (d.ClassNames.Length != classes)
            throw new InvalidDataException($"Corrupted checkpoint: {d.ClassNames.Length} class names for {classes} classes.");
        if (d.TargetScaling.Length is not (0 or 2) || (d.TargetScaling.Length == 2 && !(d.TargetScaling[1] > 0 && double.IsFinite(d.TargetScaling[0]) && double.IsFinite(d.TargetScaling[1]))))
            throw new InvalidDataException("Corrupted checkpoint: invalid target standardization.");
        if (d.PhaseCount < 1 || d.Phase > d.PhaseCount)
            throw new InvalidDataException($"Corrupted checkpoint: phase {d.Phase} of {d.PhaseCount}.");
        if (d.Phase < 0 || d.EpochsInPhase < 0 || d.StepsInPhase < 0 || d.OptimizerStepCount < 0)
            throw new InvalidDataException("Corrupted checkpoint: negative counters.");
        if (d.ScalingShift.Length != d.ScalingFactor.Length || (d.ScalingShift.Length != 0 && d.ScalingShift.Length != d.LayerSizes[0]))
            throw new InvalidDataException($"Corrupted checkpoint: a feature scaling of {d.ScalingShift.Length}/{d.ScalingFactor.Length} values for {d.LayerSizes[0]} features.");
        if (d.BestParameters.Length != 0 && d.BestParameters.Length != d.Parameters.Length)
            throw new InvalidDataException("Corrupted checkpoint: the early-stopping weights do not match the number of parameters.");
        if (d.OptimizerBuffers.Any(b => b.Length != d.Parameters.Length))
            throw new InvalidDataException("Corrupted checkpoint: an optimizer buffer does not match the number of parameters.");
        if (d.RandomState.Length != 4 || d.RandomState.All(v => v == 0))
            throw new InvalidDataException("Corrupted checkpoint: invalid random-generator state.");
        var seen = new bool[d.Order.Length];
        foreach (int i in d.Order)
        {
            if ((uint)i >= (uint)seen.Length || seen[i])
                throw new InvalidDataException("Corrupted checkpoint: the shuffle order is not a permutation.");
            seen[i] = true;
        }
        for (int i = 0; i < d.History.Length; i++)
        {
            if (d.History[i].Epoch != i + 1)
                throw new InvalidDataException($"Corrupted checkpoint: history entry {i} is numbered {d.History[i].Epoch}.");
            if (d.History[i].DurationTicks < 0)
                throw new InvalidDataException($"Corrupted checkpoint: negative duration in history entry {i}.");
        }
    }

    private static double? SkipDouble(BinaryReader r)
    {
        r.ReadDouble();
        return null;
    }

    private static int ReadCount(BinaryReader r, int elementSize)
    {
        int count = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (count < 0 || (long)count * elementSize > left)
            throw new InvalidDataException($"Corrupted checkpoint: a count of {count} does not fit in the {left} bytes left.");
        return count;
    }

    private static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (int v in values)
            w.Write(v);
    }

    private static int[] ReadInts(BinaryReader r)
    {
        var values = new int[ReadCount(r, 4)];
        for (int i = 0; i < values.Length; i++)
            values[i] = r.ReadInt32();
        return values;
    }

    private static void WriteFloats(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        foreach (float v in values)
            w.Write(v);
    }

    private static float[] ReadFloats(BinaryReader r)
    {
        var values = new float[ReadCount(r, 4)];
        for (int i = 0; i < values.Length; i++)
            values[i] = r.ReadSingle();
        return values;
    }
}
