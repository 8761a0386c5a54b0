using System.IO.Hashing;
using System.Text;
using MLNetAdam.Data;
using MLNetAdam.Optimizers;
using MLNetAdam.Trainer;

namespace MLNetAdam.Model;

/// <summary>
/// The checkpoint file format, version 1: the magic <c>MLNACKPT</c>, an int32 version, an int64 payload length,
/// the payload (little-endian fields, see <see cref="WritePayload"/>), and the payload's CRC-32.
/// </summary>
internal static class CheckpointFormat
{
    public const int Version = 1;
    private static readonly byte[] Magic = "MLNACKPT"u8.ToArray();
    private const int HeaderLength = 8 + 4 + 8;
    private const int ChunkSize = 1 << 16;

    /// <summary>Writes to a temporary file beside <paramref name="path"/>, flushes it to disk, then renames it over <paramref name="path"/>.</summary>
    /// <param name="data">What to write.</param>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="wrap">For tests: wraps the file stream (for example to fail after some bytes, as a crash would).</param>
    public static void WriteAtomically(CheckpointData data, string path, Func<Stream, Stream>? wrap = null) =>
        AtomicFile.Write(path, file =>
        {
            var target = wrap?.Invoke(file) ?? file;
            Write(data, target);
            target.Flush();
        });

    /// <summary>Writes the whole file format to <paramref name="stream"/>.</summary>
    public static void Write(CheckpointData data, Stream stream)
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
    public static CheckpointData Read(Stream stream)
    {
        var header = new byte[HeaderLength];
        int got = stream.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
        if (got < HeaderLength)
            throw new InvalidDataException($"Not a checkpoint: the data is {got} bytes long, shorter than the {HeaderLength}-byte header.");
        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException("Not an MLNetAdam checkpoint: the file does not start with 'MLNACKPT'.");
        int version = BitConverter.ToInt32(header, 8);
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
    private static void WritePayload(CheckpointData d, BinaryWriter w)
    {
        WriteInts(w, d.LayerSizes);
        w.Write((int)d.Activation);
        w.Write(d.ClassNames.Length);
        foreach (string name in d.ClassNames)
            w.Write(name);
        w.Write(d.FeatureColumnName);
        w.Write(d.Phase);
        w.Write(d.PhaseCompleted);
        w.Write(d.EpochsInPhase);
        w.Write(d.StepsInPhase);
        WriteFloats(w, d.Parameters);
        w.Write(d.OptimizerStateType);
        w.Write(d.OptimizerStepCount);
        w.Write(d.OptimizerBuffers.Length);
        foreach (var buffer in d.OptimizerBuffers)
            WriteFloats(w, buffer);
        w.Write(d.SchedulerState.Length);
        foreach (double v in d.SchedulerState)
            w.Write(v);
        w.Write(d.RandomState.Length);
        foreach (ulong v in d.RandomState)
            w.Write(v);
        WriteInts(w, d.Order);
        w.Write(d.History.Count);
        foreach (var h in d.History)
        {
            w.Write(h.Epoch);
            w.Write(h.TrainingLoss);
            w.Write(h.ValidationLoss.HasValue);
            w.Write(h.ValidationLoss ?? 0);
            w.Write(h.Duration.Ticks);
            w.Write(h.Phase);
            w.Write(h.Optimizer);
            w.Write(h.LearningRate);
            w.Write(h.GradientNorm.HasValue);
            w.Write(h.GradientNorm ?? 0);
            w.Write(h.Evaluations);
            w.Write(h.StopReason is { } reason ? (int)reason : -1);
        }
    }

    private static CheckpointData ReadPayload(BinaryReader r)
    {
        int[] sizes = ReadInts(r);
        var activation = (MlpActivation)r.ReadInt32();
        int classCount = ReadCount(r, 1);
        var classNames = new string[classCount];
        for (int i = 0; i < classCount; i++)
            classNames[i] = r.ReadString();
        string feature = r.ReadString();
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
        var scheduler = new double[ReadCount(r, 8)];
        for (int i = 0; i < scheduler.Length; i++)
            scheduler[i] = r.ReadDouble();
        var random = new ulong[ReadCount(r, 8)];
        for (int i = 0; i < random.Length; i++)
            random[i] = r.ReadUInt64();
        int[] order = ReadInts(r);
        int historyCount = ReadCount(r, 44);
        var history = new List<TrainingEpoch>(historyCount);
        for (int i = 0; i < historyCount; i++)
        {
            int epoch = r.ReadInt32();
            double loss = r.ReadDouble();
            bool hasValidation = r.ReadBoolean();
            double validation = r.ReadDouble();
            long ticks = r.ReadInt64();
            if (ticks < 0)
                throw new InvalidDataException($"Corrupted checkpoint: negative duration in history entry {i}.");
            history.Add(new TrainingEpoch(epoch, loss, hasValidation ? validation : null, TimeSpan.FromTicks(ticks))
            {
                Phase = r.ReadInt32(),
                Optimizer = r.ReadString(),
                LearningRate = r.ReadDouble(),
                GradientNorm = r.ReadBoolean() ? r.ReadDouble() : SkipDouble(r),
                Evaluations = r.ReadInt32(),
                StopReason = ReadStopReason(r, i),
            });
        }
        return new CheckpointData
        {
            LayerSizes = sizes,
            Activation = activation,
            ClassNames = classNames,
            FeatureColumnName = feature,
            Phase = phase,
            PhaseCompleted = completed,
            EpochsInPhase = epochsInPhase,
            StepsInPhase = stepsInPhase,
            Parameters = parameters,
            OptimizerStateType = stateType,
            OptimizerStepCount = stepCount,
            OptimizerBuffers = buffers,
            SchedulerState = scheduler,
            RandomState = random,
            Order = order,
            History = history,
        };
    }

    // Semantic checks: the pieces must fit together before anything is built from them.
    private static void Check(CheckpointData d)
    {
        if (d.LayerSizes.Length < 2 || d.LayerSizes.Any(s => s <= 0))
            throw new InvalidDataException($"Corrupted checkpoint: invalid layer sizes [{string.Join(", ", d.LayerSizes)}].");
        long count = 0;
        for (int l = 0; l + 1 < d.LayerSizes.Length; l++)
            count += ((long)d.LayerSizes[l] + 1) * d.LayerSizes[l + 1];
        if (count != d.Parameters.Length)
            throw new InvalidDataException($"Corrupted checkpoint: {d.Parameters.Length} parameters for layer sizes that need {count}.");
        if (!Enum.IsDefined(d.Activation))
            throw new InvalidDataException($"Corrupted checkpoint: unknown activation {(int)d.Activation}.");
        if (d.ClassNames.Length != d.LayerSizes[^1])
            throw new InvalidDataException($"Corrupted checkpoint: {d.ClassNames.Length} class names for {d.LayerSizes[^1]} classes.");
        if (d.Phase < 0 || d.EpochsInPhase < 0 || d.StepsInPhase < 0 || d.OptimizerStepCount < 0)
            throw new InvalidDataException("Corrupted checkpoint: negative counters.");
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
        for (int i = 0; i < d.History.Count; i++)
            if (d.History[i].Epoch != i + 1)
                throw new InvalidDataException($"Corrupted checkpoint: history entry {i} is numbered {d.History[i].Epoch}.");
    }

    private static StopReason? ReadStopReason(BinaryReader r, int entry)
    {
        int value = r.ReadInt32();
        if (value == -1)
            return null;
        if (!Enum.IsDefined((StopReason)value))
            throw new InvalidDataException($"Corrupted checkpoint: unknown stop reason {value} in history entry {entry}.");
        return (StopReason)value;
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
