using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML;
using MLNetAdam.Tests.Training;
using Xunit;

namespace MLNetAdam.Tests.Persistence;

/// <summary>The failures a hostile test suite found in files and options: each must fail early, clearly and safely.</summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetadam-hostile-").FullName;
    private readonly MLContext _ml = new(seed: 1);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private IDataView Blobs(bool weighted = false)
    {
        var rows = SyntheticData.Blobs(20, 1);
        if (weighted)
            rows.ForEach(r => r.Weight = 0f);
        var data = _ml.Data.LoadFromEnumerable(rows);
        return _ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private AdamMlpTransformer Small() =>
        new AdamMlpTrainer(_ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [4], NumberOfEpochs = 2, Seed = 1 }).Fit(Blobs());

    [Fact]
    public void AModelThatDivergesInItsLastStepIsRefused()
    {
        // One epoch of one batch whose only step leaves a weight infinite: no later loss would ever see it.
        var e = Assert.Throws<InvalidOperationException>(() => new AdamMlpTrainer(_ml, new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [4],
            Optimizer = new OverflowingSgd(),
            NumberOfEpochs = 1,
            EarlyStopping = null,
        }).Fit(Blobs()));
        Assert.Contains("in epoch 1", e.Message);
        Assert.Contains("LearningRate", e.Message);
    }

    [Theory]
    [InlineData(TrainingDataMode.InMemory, false)]
    [InlineData(TrainingDataMode.Streaming, false)]
    [InlineData(TrainingDataMode.InMemory, true)]
    public void ZeroTotalWeightIsRefusedNamingTheColumn(TrainingDataMode mode, bool fullBatch)
    {
        var options = new AdamMlpTrainer.Options { ExampleWeightColumnName = "Weight", DataMode = mode, NumberOfEpochs = 2 };
        if (fullBatch)
            options.Optimizer = new LbfgsOptimizer();
        var e = Assert.Throws<InvalidOperationException>(() => new AdamMlpTrainer(_ml, options).Fit(Blobs(weighted: true)));
        Assert.Contains("'Weight'", e.Message);
    }

    [Fact]
    public void AnImpossibleNetworkIsRefusedNamingHiddenLayerSizes()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpTrainer(_ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [int.MaxValue / 2] }).Fit(Blobs()));
        Assert.Equal(nameof(AdamMlpTrainer.Options.HiddenLayerSizes), e.ParamName);
    }

    [Fact]
    public void HugeHistoriesAndBatchesAllocateOnlyWhatTheDataNeeds()
    {
        // An L-BFGS history of int.MaxValue pairs (capped by the iteration limit, allocated as used) and a streamed
        // batch of int.MaxValue rows (capped by the row count) both train.
        var lbfgs = new AdamMlpTrainer(_ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [4], Optimizer = new LbfgsOptimizer { HistorySize = int.MaxValue, MaximumNumberOfIterations = 5 } }).Fit(Blobs());
        Assert.NotEmpty(lbfgs.Model.TrainingHistory);
        var streamed = new AdamMlpTrainer(_ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [4], DataMode = TrainingDataMode.Streaming, BatchSize = int.MaxValue, NumberOfEpochs = 2 }).Fit(Blobs());
        Assert.Equal(2, streamed.Model.TrainingHistory.Count);
    }

    private string SavedZip()
    {
        string path = Path.Combine(_folder, "model.zip");
        _ml.Model.Save(Small(), Blobs().Schema, path);
        return path;
    }

    private static byte[] Entry(string zip)
    {
        using var archive = ZipFile.OpenRead(zip);
        using var stream = archive.Entries.Single(e => e.FullName.EndsWith("OnnxModel", StringComparison.Ordinal)).Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private string WithEntry(string zip, byte[] bytes, string name)
    {
        string path = Path.Combine(_folder, name);
        File.Copy(zip, path);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = archive.Entries.Single(e => e.FullName.EndsWith("OnnxModel", StringComparison.Ordinal));
        string entryName = entry.FullName;
        entry.Delete();
        using var stream = archive.CreateEntry(entryName).Open();
        stream.Write(bytes);
        return path;
    }

    [Fact]
    public void ADamagedOnnxEntryIsReportedAsCorrupt()
    {
        string zip = SavedZip();
        byte[] entry = Entry(zip);
        var truncated = entry[..(entry.Length / 2)];
        BitConverter.GetBytes(truncated.Length - 4).CopyTo(truncated, 0);
        var flipped = (byte[])entry.Clone();
        flipped[flipped.Length / 2] ^= 0x10;
        foreach (var (bytes, name) in new[] { (truncated, "truncated.zip"), (flipped, "flipped.zip") })
        {
            var e = Assert.Throws<InvalidDataException>(() => AdamMlpModelParameters.LoadFromSavedModel(WithEntry(zip, bytes, name)));
            Assert.Contains("corrupt", e.Message);
        }
    }

    [Fact]
    public void AZipBombIsRefusedBeforeItExpands()
    {
        // 300 MB of zeros declared in an OnnxModel entry that compresses to a few hundred KB.
        string path = Path.Combine(_folder, "bomb.zip");
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var stream = archive.CreateEntry("Model/OnnxModel", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 300; i++)
                stream.Write(zeros);
        }
        Assert.True(new FileInfo(path).Length < 1 << 20);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => AdamMlpModelParameters.LoadFromSavedModel(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, "more than 64 MB allocated for a file under 1 MB");
        Assert.Contains("declares", e.Message);
    }

    [Fact]
    public void AMistypedCheckpointFolderFailsBeforeTheFirstEpoch()
    {
        int epochs = 0;
        var options = new AdamMlpTrainer.Options
        {
            CheckpointPath = Path.Combine(_folder, "no-such-folder", "run.ckpt"),
            Progress = new Reporter(r => epochs += r.IsEpochEnd ? 1 : 0),
        };
        var e = Assert.ThrowsAny<IOException>(() => new AdamMlpTrainer(_ml, options).Fit(Blobs()));
        Assert.Contains("CheckpointPath", e.Message);
        Assert.Equal(0, epochs);
    }

    [Fact]
    public void ModelSaveWritesItsTemporaryFileWhereTheContextSays()
    {
        // mlContext.TempFilePath is honoured: the ONNX copy ML.NET reads while saving goes there, not to the system's
        // temporary folder (which may be read-only), and is gone afterwards.
        string temp = Path.Combine(_folder, "temp");
        Directory.CreateDirectory(temp);
        var ml = new MLContext(seed: 1) { TempFilePath = temp };
        var raw = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(10, 1));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [4], NumberOfEpochs = 1 }).Fit(data);
        var created = new List<string>();
        using (var watcher = new FileSystemWatcher(temp) { EnableRaisingEvents = true })
        {
            watcher.Created += (_, e) => { lock (created) created.Add(e.Name ?? ""); };
            ml.Model.Save(model, data.Schema, Path.Combine(_folder, "saved.zip"));
            for (int i = 0; i < 100 && created.Count == 0; i++)
                Thread.Sleep(10);
        }
        lock (created)
            Assert.Contains(created, n => n.StartsWith("mlnetadam-", StringComparison.Ordinal) && n.EndsWith(".onnx", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(temp, "mlnetadam-*"));
    }

    [Fact]
    public void ALegalLongFileNameWorksForOnnxAndCheckpoints()
    {
        string name = new string('m', 225);
        var model = Small();
        model.ExportToOnnx(Path.Combine(_folder, name + ".onnx"));
        new AdamMlpTrainer(_ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [4], NumberOfEpochs = 1, CheckpointPath = Path.Combine(_folder, name + ".ckpt") }).Fit(Blobs());
        Assert.Equal(1, TrainingCheckpoint.Load(Path.Combine(_folder, name + ".ckpt")).CompletedEpochs);
        Assert.Equal(2, Directory.GetFiles(_folder).Length); // no temporary file left
    }

    [Fact]
    public void ADestinationThatIsNotARegularFileIsRefusedAndLeftAlone()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string fifo = Path.Combine(_folder, "pipe");
        Process.Start("mkfifo", fifo)!.WaitForExit();
        Assert.True(Path.Exists(fifo));
        var model = Small();
        Assert.Contains("not a regular file", Assert.ThrowsAny<IOException>(() => model.ExportToOnnx(fifo)).Message);
        var e = Assert.ThrowsAny<IOException>(() => new AdamMlpTrainer(_ml, new AdamMlpTrainer.Options { CheckpointPath = fifo }).Fit(Blobs()));
        Assert.Contains("not a regular file", e.Message);
        Assert.True(Path.Exists(fifo)); // not renamed over
        Assert.Single(Directory.GetFileSystemEntries(_folder));
        Assert.Throws<IOException>(() => model.ExportToOnnx(_folder));
    }

    [Fact]
    public void ASymbolicLinkAtTheDestinationUpdatesItsTarget()
    {
        string target = Path.Combine(_folder, "real.onnx");
        File.WriteAllText(target, "old");
        string link = Path.Combine(_folder, "link.onnx");
        File.CreateSymbolicLink(link, target);
        Small().ExportToOnnx(link);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal(3, AdamMlpModelParameters.LoadFromOnnx(target).LayerSizes.Count);
    }

    /// <summary>Plain SGD with a learning rate beyond float's range (1e37 × a gradient overflows to infinity).</summary>
    private sealed class OverflowingSgd : StochasticOptimizer
    {
        public override float LearningRate { get; set; } = 1e37f;

        public override void Validate()
        {
        }

        public override OptimizerState CreateState(int parameterCount) => new State();

        public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
        {
            for (int i = 0; i < parameters.Length; i++)
                parameters[i] -= learningRate * 100 * gradient[i];
        }

        private sealed class State : OptimizerState
        {
            public override string StateName => "tests.overflowing-sgd";
        }
    }

    private sealed class Reporter(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
