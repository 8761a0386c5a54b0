using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class DeterminismTests
{
    private static float[] TrainBlobs(int contextSeed, int? seed)
    {
        var ml = new MLContext(seed: contextSeed);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(30, seed: 1));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [6, 5],
            BatchSize = 7,
            NumberOfEpochs = 4,
            Seed = seed,
        }));
        return pipeline.Fit(data).LastTransformer.Model.GetParameters();
    }

    [Fact]
    public void SameSeedGivesBitIdenticalWeights()
    {
        Assert.Equal(TrainBlobs(1, null), TrainBlobs(1, null));
        Assert.Equal(TrainBlobs(1, 42), TrainBlobs(2, 42));
    }

    [Fact]
    public void AnotherSeedGivesDifferentWeights()
    {
        Assert.NotEqual(TrainBlobs(1, 42), TrainBlobs(1, 43));
        // With Seed null the MLContext's seed decides.
        Assert.NotEqual(TrainBlobs(1, null), TrainBlobs(2, null));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SparseFeaturesTrainTheSameModelAsDense(bool sparseStorage)
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticData.Sparse(300, seed: 5);
        var sparseView = SyntheticData.KeyLabels(ml, ml.Data.LoadFromEnumerable(rows));
        var denseView = SyntheticData.KeyLabels(ml, ml.Data.LoadFromEnumerable(SyntheticData.Densify(rows)));

        AdamMlpTrainer.Options Options(FeatureStorage storage) => new()
        {
            HiddenLayerSizes = [10],
            Optimizer = new AdamOptimizer { LearningRate = 0.01f },
            BatchSize = 32,
            NumberOfEpochs = 5,
            Seed = 9,
            Storage = storage,
            NormalizeFeatures = false, // sparse rows are scaled without centering, dense rows centered: compare the kernels alone
        };

        // Dense input stored dense is the reference; sparse input (stored sparse or densified) must agree.
        var reference = new AdamMlpTrainer(ml, Options(FeatureStorage.Dense)).Fit(denseView).Model.GetParameters();
        var storage = sparseStorage ? FeatureStorage.Sparse : FeatureStorage.Dense;
        var fromSparse = new AdamMlpTrainer(ml, Options(storage)).Fit(sparseView);
        var parameters = fromSparse.Model.GetParameters();
        Assert.Equal(reference.Length, parameters.Length);
        for (int i = 0; i < reference.Length; i++)
            Assert.True(Math.Abs(reference[i] - parameters[i]) <= 1e-5f * Math.Max(1f, Math.Abs(reference[i])), $"parameter {i}: {reference[i]} vs {parameters[i]}");

        // Scoring sparse rows gives the dense rows' probabilities
        var a = ml.Data.CreateEnumerable<ScoreRow>(fromSparse.Transform(sparseView), false).ToList();
        var b = ml.Data.CreateEnumerable<ScoreRow>(fromSparse.Transform(denseView), false).ToList();
        // (a sparse row is scored over its stored values only, a dense one over every value: the sums round alike to
        // float precision, not bit for bit)
        for (int r = 0; r < a.Count; r++)
            for (int c = 0; c < a[r].Score.Length; c++)
                Assert.True(Math.Abs(b[r].Score[c] - a[r].Score[c]) <= 1e-6f, $"row {r}, class {c}: {a[r].Score[c]} vs {b[r].Score[c]}");
    }

    [Fact]
    public void AutomaticStoragePicksSparseRowsForSparseData()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.Message);
        var view = SyntheticData.KeyLabels(ml, ml.Data.LoadFromEnumerable(SyntheticData.Sparse(100, seed: 5)));
        new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [4], NumberOfEpochs = 1 }).Fit(view);
        Assert.Contains(messages, m => m.Contains("(sparse)", StringComparison.Ordinal));
    }

    public sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }
}

public sealed class ThreadCountTests
{
    [Fact]
    public void TheThreadCountDoesNotChangeTheWeights()
    {
        float[] Train(int threads)
        {
            var ml = new MLContext(seed: 1);
            var rows = SyntheticData.Sparse(400, seed: 2);
            var data = SyntheticData.KeyLabels(ml, ml.Data.LoadFromEnumerable(SyntheticData.Densify(rows)));
            return new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
            {
                HiddenLayerSizes = [40, 33],
                BatchSize = 64,
                NumberOfEpochs = 3,
                Seed = 5,
                NumberOfThreads = threads,
                DropoutRate = 0.1f,
            }).Fit(data).Model.GetParameters();
        }
        var one = Train(1);
        // Same seed and thread count: bit-identical; other thread counts: identical too (work is split by output columns).
        Assert.Equal(one, Train(1));
        Assert.Equal(one, Train(2));
        Assert.Equal(one, Train(3));
    }
}
