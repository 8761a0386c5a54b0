using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetadam-checkpoints-").FullName;
    private readonly MLContext _ml = new(seed: 1);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private IDataView Blobs(int perClass = 30, int seed = 1)
    {
        var data = _ml.Data.LoadFromEnumerable(SyntheticData.Blobs(perClass, seed));
        return _ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    public static TheoryData<string> Optimizers => new() { "adam", "adadelta", "sgd", "adam-then-batch", "adam-then-lbfgs" };

    private static AdamMlpTrainer.Options Options(string kind, int epochs, string? checkpoint)
    {
        var options = new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [8, 6],
            BatchSize = 16,
            NumberOfEpochs = epochs,
            Seed = 11,
            DropoutRate = kind == "adam" ? 0.2f : 0,
            CheckpointPath = checkpoint,
            CheckpointPeriod = 2,
        };
        switch (kind)
        {
            case "adam":
                options.Optimizer = new AdamOptimizer { LearningRate = 0.01f, AmsGrad = true };
                options.LearningRateSchedule = new ReduceOnPlateauSchedule { Patience = 0, Factor = 0.5 };
                break;
            case "adadelta":
                options.Optimizer = new AdadeltaOptimizer();
                break;
            case "sgd":
                options.Optimizer = new SgdOptimizer { LearningRate = 0.05f, Momentum = 0.9f };
                options.LearningRateSchedule = new CosineAnnealingSchedule { Epochs = 6, WarmupSteps = 5 };
                break;
            case "adam-then-lbfgs":
                options.Phases =
                [
                    new TrainingPhase { Optimizer = new AdamOptimizer { LearningRate = 0.01f }, NumberOfEpochs = epochs },
                    new TrainingPhase { Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 15 } },
                ];
                break;
            default:
                // Adam for `epochs` epochs, then a full-batch phase.
                options.Phases =
                [
                    new TrainingPhase { Optimizer = new AdamOptimizer { LearningRate = 0.01f }, NumberOfEpochs = epochs },
                    new TrainingPhase { Optimizer = new UserGradientDescent { Iterations = 4, StepSize = 0.1f } },
                ];
                break;
        }
        return options;
    }

    /// <summary>Wraps an optimizer and throws in the middle of training, as a crash would.</summary>
    private sealed class CrashingOptimizer(StochasticOptimizer inner, int crashAtStep) : StochasticOptimizer
    {
        private int _steps;

        public override float LearningRate { get => inner.LearningRate; set => inner.LearningRate = value; }

        public override void Validate() => inner.Validate();

        public override OptimizerState CreateState(int parameterCount) => inner.CreateState(parameterCount);

        public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
        {
            if (++_steps == crashAtStep)
                throw new IOException("Simulated crash.");
            inner.Step(parameters, gradient, state, learningRate);
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ResumingFromACheckpointEqualsTheUninterruptedRun(string kind)
    {
        var data = Blobs();
        var uninterrupted = new AdamMlpTrainer(_ml, Options(kind, 6, null)).Fit(data).Model;

        // The same run crashes in the middle of epoch 4 (90 rows in batches of 16: 6 steps an epoch), after writing
        // its checkpoint at the end of epoch 3.
        string path = Path.Combine(_folder, kind + ".ckpt");
        var crashing = Options(kind, 6, path);
        crashing.CheckpointPeriod = 1;
        if (crashing.Phases.Count > 0)
            crashing.Phases[0].Optimizer = new CrashingOptimizer((StochasticOptimizer)crashing.Phases[0].Optimizer, 3 * 6 + 2);
        else
            crashing.Optimizer = new CrashingOptimizer((StochasticOptimizer)crashing.Optimizer, 3 * 6 + 2);
        Assert.Throws<IOException>(() => new AdamMlpTrainer(_ml, crashing).Fit(data));
        var checkpoint = TrainingCheckpoint.Load(path);
        Assert.Equal(3, checkpoint.CompletedEpochs);

        var resumed = new AdamMlpTrainer(_ml, Options(kind, 6, null)).Fit(data, checkpoint).Model;
        Assert.Equal(uninterrupted.TrainingHistory.Select(h => h.TrainingLoss), resumed.TrainingHistory.Select(h => h.TrainingLoss));
        Assert.Equal(uninterrupted.TrainingHistory.Select(h => h.LearningRate), resumed.TrainingHistory.Select(h => h.LearningRate));
        Assert.Equal(uninterrupted.GetParameters(), resumed.GetParameters());
    }

    [Fact]
    public void ACheckpointAfterAFinishedBatchPhaseResumesWithTheNextPhase()
    {
        var data = Blobs();
        var options = Options("adam-then-batch", 2, Path.Combine(_folder, "phases.ckpt"));
        var full = new AdamMlpTrainer(_ml, options).Fit(data).Model;
        var checkpoint = TrainingCheckpoint.Load(options.CheckpointPath!);
        Assert.Equal(2 + 4, checkpoint.CompletedEpochs);
        Assert.Equal(2, checkpoint.Phase);
        Assert.Equal(full.GetParameters(), checkpoint.Model.GetParameters());
        // Nothing is left to run: resuming returns the same model.
        var again = new AdamMlpTrainer(_ml, Options("adam-then-batch", 2, null)).Fit(data, checkpoint).Model;
        Assert.Equal(full.GetParameters(), again.GetParameters());
    }

    private byte[] RealCheckpoint()
    {
        string path = Path.Combine(_folder, "real.ckpt");
        new AdamMlpTrainer(_ml, Options("adam", 2, path)).Fit(Blobs(10));
        return File.ReadAllBytes(path);
    }

    private static Exception? LoadFails(byte[] bytes)
    {
        try
        {
            TrainingCheckpoint.Load(new MemoryStream(bytes));
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [Fact]
    public void TruncatedCheckpointsAlwaysRaiseInvalidDataException()
    {
        byte[] bytes = RealCheckpoint();
        var random = new Random(3);
        var cuts = Enumerable.Range(0, 100).Select(i => i < 30 ? i : random.Next(bytes.Length)).ToList();
        foreach (int cut in cuts)
        {
            var e = LoadFails(bytes[..cut]);
            Assert.True(e is InvalidDataException, $"cut at {cut}: {e?.GetType().Name ?? "loaded"} {e?.Message}");
        }
    }

    [Fact]
    public void BitFlippedCheckpointsAlwaysRaiseInvalidDataException()
    {
        byte[] bytes = RealCheckpoint();
        Assert.NotNull(TrainingCheckpoint.Load(new MemoryStream(bytes)));
        var random = new Random(5);
        for (int trial = 0; trial < 1000; trial++)
        {
            var copy = (byte[])bytes.Clone();
            int at = random.Next(copy.Length);
            copy[at] ^= (byte)(1 << random.Next(8));
            var e = LoadFails(copy);
            Assert.True(e is InvalidDataException, $"flip at {at}: {e?.GetType().Name ?? "loaded"} {e?.Message}");
        }
    }

    [Fact]
    public void ForeignAndNewerFilesAreRefusedWithAReason()
    {
        var foreign = LoadFails("this is not a checkpoint at all, just some text"u8.ToArray());
        Assert.IsType<InvalidDataException>(foreign);
        Assert.Contains("MLNACKPT", foreign!.Message);

        byte[] bytes = RealCheckpoint();
        BitConverter.GetBytes(99).CopyTo(bytes, 8);
        var newer = LoadFails(bytes);
        Assert.IsType<InvalidDataException>(newer);
        Assert.Contains("version 99", newer!.Message);

        var empty = LoadFails([]);
        Assert.IsType<InvalidDataException>(empty);

        // Format 1 keyed the optimizer state by CLR class name; it is refused with a message that says so.
        BitConverter.GetBytes(1).CopyTo(bytes, 8);
        var older = LoadFails(bytes);
        Assert.IsType<InvalidDataException>(older);
        Assert.Contains("format version 1", older!.Message);
    }

    [Fact]
    public void OptimizerStateIsStoredUnderItsDeclaredStableName()
    {
        // The file holds the name the state class declares ("adam"), never a CLR type name, so renaming a class keeps
        // old checkpoints loadable.
        string path = Path.Combine(_folder, "names.ckpt");
        new AdamMlpTrainer(_ml, Options("adam", 2, path)).Fit(Blobs(10));
        var record = TrainingCheckpoint.Load(path).Record;
        Assert.Equal("adam", record.OptimizerState);
        Assert.Equal("reduce-on-plateau", record.Schedule);
        Assert.Equal(CheckpointFormat.Version, BitConverter.ToInt32(File.ReadAllBytes(path), 8));
        string text = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path));
        Assert.DoesNotContain(nameof(AdamState), text);
        Assert.DoesNotContain("MLNetAdam.", text);
    }

    [Fact]
    public void ResumingWithOtherPhasesNamesBothSides()
    {
        // A checkpoint taken in phase 2 of [Adam, full batch], resumed with a single Adam phase.
        string path = Path.Combine(_folder, "phases.ckpt");
        var data = Blobs();
        new AdamMlpTrainer(_ml, Options("adam-then-batch", 2, path)).Fit(data);
        var e = Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(_ml, Options("adadelta", 4, null)).Fit(data, TrainingCheckpoint.Load(path)));
        Assert.Contains("2 phase(s)", e.Message);
        Assert.Contains("1 phase(s)", e.Message);
    }

    [Fact]
    public void ResumingWithAnotherScheduleNamesBothSides()
    {
        // A plateau-schedule checkpoint resumed without a schedule.
        string path = Path.Combine(_folder, "schedule.ckpt");
        var data = Blobs();
        new AdamMlpTrainer(_ml, Options("adam", 2, path)).Fit(data);
        var options = Options("adam", 4, null);
        options.LearningRateSchedule = null;
        var e = Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(_ml, options).Fit(data, TrainingCheckpoint.Load(path)));
        Assert.Contains("'reduce-on-plateau'", e.Message);
        Assert.Contains("'closed-form'", e.Message);
    }

    [Fact]
    public void AHugeAnnouncedLengthAllocatesNothingAndFails()
    {
        byte[] bytes = RealCheckpoint();
        BitConverter.GetBytes((long)int.MaxValue - 100).CopyTo(bytes, 12);
        var stream = new NonSeekableStream(bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(stream));
        Assert.Contains("Truncated", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L * bytes.Length + (1 << 20), "the announced length must not be allocated up front");
    }

    [Fact]
    public void ACrashMidWriteLeavesThePreviousCheckpointLoadable()
    {
        string path = Path.Combine(_folder, "crash.ckpt");
        new AdamMlpTrainer(_ml, Options("adam", 2, path)).Fit(Blobs(10));
        byte[] good = File.ReadAllBytes(path);
        var data = TrainingCheckpoint.Load(path).Record;

        foreach (int n in new[] { 0, 1, 20, good.Length / 2, good.Length - 1 })
        {
            Assert.ThrowsAny<IOException>(() => CheckpointFormat.WriteAtomically(data, path, s => new FailingStream(s, n)));
            Assert.Equal(good, File.ReadAllBytes(path));
            Assert.Equal(2, TrainingCheckpoint.Load(path).CompletedEpochs);
        }
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder)); // no temporary file left behind
    }

    [Fact]
    public void WarmStartContinuesWhereTrainingStopped()
    {
        var data = Blobs();
        var first = new AdamMlpTrainer(_ml, Options("adam", 4, null)).Fit(data);
        // The objective at the end of the first run (no L2, so the mean cross-entropy): ML.NET's log-loss on the training data.
        double lastLoss = _ml.MulticlassClassification.Evaluate(first.Transform(data)).LogLoss;

        // A continuation whose steps are negligible sees, during its first epoch, exactly the first run's final weights.
        var options = Options("sgd", 1, null);
        options.Optimizer = new SgdOptimizer { LearningRate = 1e-30f };
        options.LearningRateSchedule = null;
        options.Activation = first.Model.Activation;
        var continued = new AdamMlpTrainer(_ml, options).Fit(data, first.Model);
        Assert.Equal(lastLoss, continued.Model.TrainingHistory[0].TrainingLoss, 1e-5);

        // From a checkpoint's model, too.
        string path = Path.Combine(_folder, "warm.ckpt");
        var withCheckpoint = Options("adam", 4, path);
        new AdamMlpTrainer(_ml, withCheckpoint).Fit(data);
        var fromCheckpoint = new AdamMlpTrainer(_ml, options).Fit(data, TrainingCheckpoint.Load(path).Model);
        Assert.Equal(lastLoss, fromCheckpoint.Model.TrainingHistory[0].TrainingLoss, 1e-5);

        // And from a model saved the ML.NET way (the weights are read back from the zip's ONNX network).
        string zip = Path.Combine(_folder, "warm.zip");
        _ml.Model.Save(first, data.Schema, zip);
        var fromZip = new AdamMlpTrainer(_ml, options).Fit(data, AdamMlpModelParameters.LoadFromSavedModel(zip));
        Assert.Equal(lastLoss, fromZip.Model.TrainingHistory[0].TrainingLoss, 1e-5);
    }

    [Fact]
    public void AWarmStartThatDoesNotFitSaysWhatDiffers()
    {
        var data = Blobs();
        var model = new AdamMlpTrainer(_ml, Options("adadelta", 1, null)).Fit(data).Model;

        var wider = Options("adadelta", 1, null);
        wider.HiddenLayerSizes = [9, 6];
        var e = Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(_ml, wider).Fit(data, model));
        Assert.Contains("[4, 8, 6, 3]", e.Message);
        Assert.Contains("[4, 9, 6, 3]", e.Message);

        // Same classes in another key order.
        var raw = _ml.Data.LoadFromEnumerable(SyntheticData.Blobs(30, 1).OrderBy(r => r.Label).ToList());
        var reordered = _ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var e2 = Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(_ml, Options("adadelta", 1, null)).Fit(reordered, model));
        Assert.Contains("cat, dog, bird", e2.Message);
        Assert.Contains("bird, cat, dog", e2.Message);

        var tanh = Options("adadelta", 1, null);
        tanh.Activation = MlpActivation.Tanh;
        Assert.Contains("activation", Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(_ml, tanh).Fit(data, model)).Message);
    }

    [Fact]
    public void ResumingWithAnotherOptimizerIsRefused()
    {
        string path = Path.Combine(_folder, "other.ckpt");
        var data = Blobs();
        new AdamMlpTrainer(_ml, Options("adadelta", 2, path)).Fit(data);
        var e = Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(_ml, Options("sgd", 4, null)).Fit(data, TrainingCheckpoint.Load(path)));
        // Both sides are named: the state the checkpoint holds and the state this phase's optimizer uses.
        Assert.Contains("'adadelta'", e.Message);
        Assert.Contains("'sgd'", e.Message);
    }

    private sealed class FailingStream(Stream inner, int allowed) : Stream
    {
        private int _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            int take = Math.Min(count, allowed - _written);
            if (take > 0)
                inner.Write(buffer, offset, take);
            _written += take;
            if (take < count)
                throw new IOException($"Simulated crash after {allowed} bytes.");
        }
    }

    private sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
