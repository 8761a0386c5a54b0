using Microsoft.ML;
using MLNetAdam.Tests.Training;
using Xunit;
using Xunit.Abstractions;

namespace MLNetAdam.Tests.Distributed;

/// <summary>Data-parallel training over ranks (threads here, MPI processes in MpiTests) equals one process.</summary>
public sealed class DataParallelTests(ITestOutputHelper output)
{
    private static IDataView Blobs(MLContext ml)
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(50, 4));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    internal static AdamMlpTrainer.Options Options(bool lbfgs) => new()
    {
        HiddenLayerSizes = [12],
        Optimizer = new AdamOptimizer { LearningRate = 0.01f },
        Phases = lbfgs ? [new TrainingPhase { Optimizer = new AdamOptimizer { LearningRate = 0.01f }, NumberOfEpochs = 3 }, new TrainingPhase { Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 5 } }] : [],
        BatchSize = 32,
        NumberOfEpochs = 3,
        EarlyStopping = null,
        L2Regularization = 1e-3f,
        GradientClipNorm = 5,
        ValidationFraction = 0.2f,
        NumberOfThreads = 1,
        Seed = 7,
    };

    private static float[][] Train(int ranks, bool lbfgs)
    {
        if (ranks == 1)
        {
            var ml = new MLContext(seed: 1);
            return [new AdamMlpTrainer(ml, Options(lbfgs)).Fit(Blobs(ml)).Model.GetParameters()];
        }
        var group = new ThreadGroup(ranks);
        var tasks = Enumerable.Range(0, ranks).Select(rank => Task.Factory.StartNew(() =>
        {
            var ml = new MLContext(seed: 1);
            var options = Options(lbfgs);
            options.Communicator = group.Rank(rank);
            return new AdamMlpTrainer(ml, options).Fit(Blobs(ml)).Model.GetParameters();
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks, TimeSpan.FromMinutes(2));
        return tasks.Select(t => t.Result).ToArray();
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(2, true)]
    public void RanksEqualOneProcessWithinFloatRounding(int ranks, bool lbfgs)
    {
        float[] single = Train(1, lbfgs)[0];
        var distributed = Train(ranks, lbfgs);
        foreach (var parameters in distributed)
            Assert.Equal(distributed[0], parameters); // every rank returns the same model, bit for bit
        double worst = single.Zip(distributed[0], (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(a))).Max();
        output.WriteLine($"{ranks} ranks{(lbfgs ? ", Adam then L-BFGS" : string.Empty)}: largest relative difference from one process after 3 epochs {worst:G3}");
        Assert.True(worst < 1e-4, $"largest relative difference {worst:G3}");
    }

    [Fact]
    public void DropoutAndStreamingAreRefused()
    {
        var ml = new MLContext(seed: 1);
        var options = Options(lbfgs: false);
        options.Communicator = new ThreadGroup(1).Rank(0);
        options.DropoutRate = 0.5f;
        Assert.Equal("DropoutRate", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpTrainer(ml, options).Fit(Blobs(ml))).ParamName);
        options.Communicator = new ThreadGroup(1).Rank(0);
        options.DropoutRate = 0;
        options.DataMode = TrainingDataMode.Streaming;
        options.ValidationFraction = 0;
        Assert.Contains("Streaming", Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(ml, options).Fit(Blobs(ml))).Message);
    }

    // Rows of the blobs split into shards: rank r gets the rows whose index falls in its fraction.
    private static IDataView Shard(MLContext ml, double from, double to)
    {
        var rows = SyntheticData.Blobs(50, 4);
        var mine = rows.Where((_, i) => i >= from * rows.Count && i < to * rows.Count).ToList();
        var data = ml.Data.LoadFromEnumerable(mine);
        // The same key order on every shard: keys by value.
        return ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(data).Transform(data);
    }

    private static async Task<float[][]> TrainShards(double[] cuts, AdamMlpTrainer.Options template)
    {
        int ranks = cuts.Length - 1;
        var group = new ThreadGroup(ranks);
        var tasks = Enumerable.Range(0, ranks).Select(rank => Task.Factory.StartNew(() =>
        {
            var ml = new MLContext(seed: 1);
            var options = Copy(template);
            options.Communicator = group.Rank(rank);
            options.DataDistribution = DataDistribution.Sharded;
            return new AdamMlpTrainer(ml, options).Fit(Shard(ml, cuts[rank], cuts[rank + 1])).Model.GetParameters();
        }, TaskCreationOptions.LongRunning)).ToArray();
        return await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2));
    }

    private static AdamMlpTrainer.Options Copy(AdamMlpTrainer.Options o) => new()
    {
        HiddenLayerSizes = o.HiddenLayerSizes,
        Optimizer = o.Optimizer,
        BatchSize = o.BatchSize,
        NumberOfEpochs = o.NumberOfEpochs,
        EarlyStopping = o.EarlyStopping,
        ClassWeights = o.ClassWeights,
        NumberOfThreads = 1,
        Seed = o.Seed,
    };

    [Fact]
    public async Task ShardedFullBatchTrainingEqualsOneProcessOnAllTheRows()
    {
        // L-BFGS sees the whole objective: the shards' rows, scaling statistics, class counts and weights summed over
        // the ranks give one process's optimization on the concatenated data, to float rounding.
        var template = new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [6],
            Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 8 },
            EarlyStopping = null,
            ClassWeights = ClassWeights.Balanced,
            Seed = 3,
        };
        var ml = new MLContext(seed: 1);
        var whole = new AdamMlpTrainer(ml, Copy(template)).Fit(Shard(ml, 0, 1)).Model.GetParameters();
        var shards = await TrainShards([0, 0.3, 1], template);
        Assert.Equal(shards[0], shards[1]);
        double worst = whole.Zip(shards[0], (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(a))).Max();
        output.WriteLine($"sharded L-BFGS (30 % / 70 %): largest relative difference from one process {worst:G3}");
        Assert.True(worst < 1e-4, $"largest relative difference {worst:G3}");
    }

    [Fact]
    public async Task UnevenShardsTrainTogetherWithStochasticSteps()
    {
        var template = new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [8],
            Optimizer = new AdamOptimizer { LearningRate = 0.02f },
            BatchSize = 32,
            NumberOfEpochs = 15,
            EarlyStopping = null,
            Seed = 3,
        };
        var shards = await TrainShards([0, 0.2, 1], template);
        Assert.Equal(shards[0], shards[1]);
        var ml = new MLContext(seed: 1);
        var data = Shard(ml, 0, 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(50, 4));
        // The ranks' model, put in a transformer through a warm start of zero steps, scores the whole data well.
        var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [8], Optimizer = new SgdOptimizer { LearningRate = 1e-30f }, NumberOfEpochs = 1, NormalizeFeatures = false })
            .Fit(data, new AdamMlpModelParameters(new ParameterLayout([4, 8, 3]), MlpActivation.Relu, shards[0], ["bird", "cat", "dog"], []));
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
    }

    [Theory]
    [InlineData("binary", false)]
    [InlineData("regression", false)]
    [InlineData("regression", true)]
    public async Task BinaryAndRegressionRanksEqualOneProcess(string task, bool sharded)
    {
        // Rank r of 2 holds rows [r·n/2, (r+1)·n/2) when sharded, every row otherwise; one process holds every row.
        var binaryRows = SyntheticData.BinaryBlobs(120, seed: 4);
        var regressionRows = SyntheticData.RegressionRows(120, seed: 4);
        float[] Fit(MLNetAdam.Distributed.Communicator? communicator, int rank, int ranks)
        {
            var ml = new MLContext(seed: 1);
            int from = sharded ? 120 * rank / ranks : 0, to = sharded ? 120 * (rank + 1) / ranks : 120;
            if (task == "binary")
            {
                var options = new AdamMlpBinaryTrainer.Options { HiddenLayerSizes = [8], Optimizer = new AdamOptimizer { LearningRate = 0.01f }, BatchSize = 40, NumberOfEpochs = 3, EarlyStopping = null, Shuffle = false, NumberOfThreads = 1, Seed = 7, Communicator = communicator };
                return new AdamMlpBinaryTrainer(ml, options).Fit(ml.Data.LoadFromEnumerable(binaryRows[from..to])).Model.GetParameters();
            }
            var regression = new AdamMlpRegressionTrainer.Options
            {
                HiddenLayerSizes = [8], Optimizer = new AdamOptimizer { LearningRate = 0.01f }, BatchSize = 40, NumberOfEpochs = sharded ? 60 : 3, EarlyStopping = null, Shuffle = false, NumberOfThreads = 1, Seed = 7,
                Communicator = communicator, DataDistribution = sharded ? DataDistribution.Sharded : DataDistribution.Replicated,
            };
            return new AdamMlpRegressionTrainer(ml, regression).Fit(ml.Data.LoadFromEnumerable(regressionRows[from..to])).Model.GetParameters();
        }

        float[] single = Fit(null, 0, 1);
        var group = new ThreadGroup(2);
        var ranks = await Task.WhenAll(Enumerable.Range(0, 2).Select(rank => Task.Factory.StartNew(() => Fit(group.Rank(rank), rank, 2), TaskCreationOptions.LongRunning)))
            .WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(ranks[0], ranks[1]);
        if (sharded)
        {
            // Sharded ranks see other batches than one process (each batch takes half its rows from each shard), so the
            // weights differ; the ranks' model (standardized over both shards, folded back) must fit every row in the label's units.
            var model = new AdamMlpModelParameters(new ParameterLayout([4, 8, 1]), MlpActivation.Relu, ranks[0], [], [], MlpTask.Regression);
            double mean = regressionRows.Average(r => r.Label);
            double residual = regressionRows.Sum(r => Math.Pow(r.Label - model.PredictValue(r.Features), 2));
            double total = regressionRows.Sum(r => Math.Pow(r.Label - mean, 2));
            output.WriteLine($"sharded regression, 2 ranks, 60 epochs: R² on all rows {1 - residual / total:F4}");
            Assert.True(1 - residual / total > 0.5, $"R² {1 - residual / total}");
            return;
        }
        double worst = single.Zip(ranks[0], (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(a))).Max();
        output.WriteLine($"{task}, 2 ranks: largest relative difference from one process after 3 epochs {worst:G3}");
        Assert.True(worst < 1e-4, $"largest relative difference {worst:G3}");
    }

    [Fact]
    public async Task ShardedTargetScalingEqualsTheWholeDatas()
    {
        var targets = SyntheticData.RegressionRows(40, seed: 2).Select(r => r.Label).ToArray();
        var whole = TargetScaling.Of(targets);
        var group = new ThreadGroup(2);
        var parts = new[] { (0, 15), (15, 40) }.Select((range, rank) => Task.Factory.StartNew(() =>
        {
            var member = group.Rank(rank);
            return TargetScaling.Of(targets[range.Item1..range.Item2], member.SumInPlace);
        }, TaskCreationOptions.LongRunning)).ToArray();
        foreach (var part in await Task.WhenAll(parts).WaitAsync(TimeSpan.FromMinutes(1)))
        {
            Assert.Equal(whole.Mean, part.Mean, 9);
            Assert.Equal(whole.Scale, part.Scale, 9);
        }
    }

    [Fact]
    public async Task ShardedScalingEqualsTheWholeDatasScaling()
    {
        var random = new Random(2);
        var labels = Enumerable.Range(0, 40).Select(i => i % 2).ToArray();
        var x = Enumerable.Range(0, 40 * 3).Select(i => (float)(random.NextDouble() * 10 + (i % 3) * 100)).ToArray();
        var whole = FeatureScaling.Of(TrainingData.FromDense(x, 3, 2, labels, null));
        var group = new ThreadGroup(2);
        var parts = new[] { (0, 15), (15, 40) }.Select((range, rank) => Task.Factory.StartNew(() =>
        {
            var data = TrainingData.FromDense(x[(range.Item1 * 3)..(range.Item2 * 3)], 3, 2, labels[range.Item1..range.Item2], null);
            var member = group.Rank(rank);
            return FeatureScaling.OfShards(data, member.SumInPlace, member.MaxInPlace);
        }, TaskCreationOptions.LongRunning)).ToArray();
        foreach (var part in await Task.WhenAll(parts).WaitAsync(TimeSpan.FromMinutes(1)))
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(whole.Shift[i], part.Shift[i], 3);
                Assert.Equal(whole.Factor[i], part.Factor[i], 6);
            }
    }

    [Fact]
    public async Task CheckpointsNeedTheSameRanksAndReplicatedData()
    {
        string folder = Directory.CreateTempSubdirectory("mlnetadam-ranks-").FullName;
        try
        {
            string path = Path.Combine(folder, "run.ckpt");
            var group = new ThreadGroup(2);
            var tasks = Enumerable.Range(0, 2).Select(rank => Task.Factory.StartNew(() =>
            {
                var ml = new MLContext(seed: 1);
                var options = Options(lbfgs: false);
                options.Communicator = group.Rank(rank);
                options.CheckpointPath = path;
                new AdamMlpTrainer(ml, options).Fit(Blobs(ml));
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(1));
            var ml1 = new MLContext(seed: 1);
            var e = Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(ml1, Options(lbfgs: false)).Fit(Blobs(ml1), TrainingCheckpoint.Load(path)));
            Assert.Contains("2 rank(s)", e.Message);

            var sharded = Options(lbfgs: false);
            sharded.Communicator = new ThreadGroup(1).Rank(0);
            sharded.DataDistribution = DataDistribution.Sharded;
            sharded.CheckpointPath = path;
            Assert.Contains("Sharded", Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(ml1, sharded).Fit(Blobs(ml1))).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
