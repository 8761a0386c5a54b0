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
        options.DropoutRate = 0;
        options.DataMode = TrainingDataMode.Streaming;
        options.ValidationFraction = 0;
        Assert.Contains("Streaming", Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(ml, options).Fit(Blobs(ml))).Message);
    }
}
