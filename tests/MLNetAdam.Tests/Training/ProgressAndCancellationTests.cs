using System.Reflection;
using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class ProgressAndCancellationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetadam-cancel-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static IDataView Blobs(MLContext ml, int perClass = 40)
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(perClass, 3));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    /// <summary>Collects reports on the reporting thread, in order (Progress&lt;T&gt; would post them elsewhere).</summary>
    private sealed class Collector(Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = new();

        public void Report(TrainingProgress value)
        {
            Reports.Add(value);
            onReport?.Invoke(value);
        }
    }

    [Fact]
    public void ProgressIsReportedAtTheEndOfEveryEpochInOrder()
    {
        var ml = new MLContext(seed: 1);
        var collector = new Collector();
        new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [8],
            BatchSize = 16,
            NumberOfEpochs = 7,
            EarlyStopping = null,
            Progress = collector,
            Seed = 1,
        }).Fit(Blobs(ml));
        var ends = collector.Reports.Where(r => r.IsEpochEnd).ToList();
        Assert.Equal(Enumerable.Range(1, 7), ends.Select(r => r.Epoch));
        Assert.All(ends, r =>
        {
            Assert.Equal(8, r.Batch); // 120 rows in batches of 16
            Assert.Equal(8, r.BatchesPerEpoch);
            Assert.True(r.RowsPerSecond > 0 && double.IsFinite(r.RunningLoss));
        });
        Assert.Equal(TimeSpan.Zero, ends[^1].EstimatedRemaining);
        for (int i = 1; i < collector.Reports.Count; i++)
            Assert.True(collector.Reports[i].Elapsed >= collector.Reports[i - 1].Elapsed);
    }

    private static AdamMlpTrainer.Options Endless(IProgress<TrainingProgress> progress, CancellationToken token = default, string? checkpoint = null) => new()
    {
        HiddenLayerSizes = [8],
        BatchSize = 8,
        NumberOfEpochs = 100_000,
        EarlyStopping = null,
        Progress = progress,
        CancellationToken = token,
        CheckpointPath = checkpoint,
        Seed = 1,
    };

    [Fact]
    public void ATokenCancelledFromAnotherThreadEndsFitWithinABatch()
    {
        var ml = new MLContext(seed: 1);
        using var source = new CancellationTokenSource();
        int batchesAfterCancel = -1;
        var collector = new Collector(r =>
        {
            if (r.IsEpochEnd && r.Epoch == 3)
                Task.Run(source.Cancel).Wait();
        });
        string path = Path.Combine(_folder, "cancel.ckpt");
        var options = Endless(collector, source.Token, path);
        options.CheckpointPeriod = 1;
        var e = Assert.ThrowsAny<OperationCanceledException>(() => new AdamMlpTrainer(ml, options).Fit(Blobs(ml)));
        batchesAfterCancel = collector.Reports.Count(r => r.Epoch > 3);
        Assert.Equal(0, batchesAfterCancel);
        Assert.Equal(source.Token, e.CancellationToken);
        // The last completed checkpoint stays loadable: it is epoch 3's.
        Assert.Equal(3, TrainingCheckpoint.Load(path).CompletedEpochs);
    }

    [Fact]
    public void MLContextCancelExecutionEndsFit()
    {
        // ML.NET's own cancellation, as AutoML uses it (public only through Microsoft.ML.Experimental, so called here by reflection).
        var ml = new MLContext(seed: 1);
        var cancel = typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!;
        var collector = new Collector(r =>
        {
            if (r.IsEpochEnd && r.Epoch == 2)
                cancel.Invoke(ml, null);
        });
        Assert.ThrowsAny<OperationCanceledException>(() => new AdamMlpTrainer(ml, Endless(collector)).Fit(Blobs(ml)));
        Assert.DoesNotContain(collector.Reports, r => r.Epoch > 2);
    }

    [Fact]
    public void CancellationStopsLbfgsWithinALossEvaluation()
    {
        var ml = new MLContext(seed: 1);
        using var source = new CancellationTokenSource();
        var collector = new Collector(r =>
        {
            if (r.Epoch == 2)
                source.Cancel();
        });
        var options = new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [8],
            Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 500, GradientTolerance = 0, ChangeTolerance = 0 },
            EarlyStopping = null,
            Progress = collector,
            CancellationToken = source.Token,
            Seed = 1,
        };
        Assert.ThrowsAny<OperationCanceledException>(() => new AdamMlpTrainer(ml, options).Fit(Blobs(ml)));
        Assert.Equal(2, collector.Reports.Max(r => r.Epoch));
    }
}
