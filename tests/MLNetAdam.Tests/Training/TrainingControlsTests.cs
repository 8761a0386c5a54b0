using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

/// <summary>Schedules, clipping, dropout and optimizer phases, through the trainer.</summary>
public sealed class TrainingControlsTests
{
    private static IDataView Blobs(MLContext ml, int perClass, int seed)
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(perClass, seed));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private static AdamMlpTrainer.Options Small(MlpOptimizer optimizer, int epochs = 6) => new()
    {
        HiddenLayerSizes = [8],
        Optimizer = optimizer,
        BatchSize = 10,
        NumberOfEpochs = epochs,
        Seed = 4,
    };

    [Theory]
    [InlineData("adadelta")]
    [InlineData("sgd")]
    [InlineData("nesterov")]
    public void EveryStochasticOptimizerLearnsTheBlobs(string name)
    {
        MlpOptimizer optimizer = name switch
        {
            "adadelta" => new AdadeltaOptimizer(),
            "sgd" => new SgdOptimizer { LearningRate = 0.1f },
            _ => new SgdOptimizer { LearningRate = 0.05f, Momentum = 0.9f, Nesterov = true },
        };
        var ml = new MLContext(seed: 1);
        var model = new AdamMlpTrainer(ml, Small(optimizer, epochs: 15)).Fit(Blobs(ml, 30, 1));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(Blobs(ml, 20, 2)));
        Assert.True(metrics.MicroAccuracy > 0.9, $"{name}: accuracy {metrics.MicroAccuracy}");
        Assert.All(model.Model.TrainingHistory, h => Assert.Equal(optimizer.GetType().Name, h.Optimizer));
    }

    [Fact]
    public void TheScheduleSetsEachEpochsLearningRate()
    {
        var ml = new MLContext(seed: 1);
        var options = Small(new AdamOptimizer { LearningRate = 0.02f });
        options.LearningRateSchedule = new StepSchedule { StepEpochs = 2, Gamma = 0.5 };
        var history = new AdamMlpTrainer(ml, options).Fit(Blobs(ml, 30, 1)).Model.TrainingHistory;
        Assert.Equal(new[] { 0.02, 0.02, 0.01, 0.01, 0.005, 0.005 }, history.Select(h => Math.Round(h.LearningRate, 6)));
        Assert.All(history, h => Assert.Equal(9, h.Evaluations));
    }

    [Fact]
    public void ClippingChangesTrainingAndTheHistoryKeepsThePreClipNorm()
    {
        var ml = new MLContext(seed: 1);
        var plain = new AdamMlpTrainer(ml, Small(new SgdOptimizer { LearningRate = 0.1f })).Fit(Blobs(ml, 30, 1)).Model;
        var clippedOptions = Small(new SgdOptimizer { LearningRate = 0.1f });
        clippedOptions.GradientClipNorm = 0.01f;
        var clipped = new AdamMlpTrainer(ml, clippedOptions).Fit(Blobs(ml, 30, 1)).Model;

        Assert.All(plain.TrainingHistory, h => Assert.True(h.GradientNorm > 0.01));
        // Same seed, same first batch: the first epoch's first gradient is identical, so the recorded norms start alike,
        // but with clipping the weights move at most lr·0.01 per step and the loss falls far less.
        Assert.True(clipped.TrainingHistory[^1].TrainingLoss > plain.TrainingHistory[^1].TrainingLoss + 0.05);
        Assert.All(clipped.TrainingHistory, h => Assert.True(h.GradientNorm > 0.01, "the recorded norm is from before clipping"));

        var start = plain.GetParameters();
        var moved = clipped.GetParameters();
        Assert.NotEqual(start, moved);
    }

    [Fact]
    public void ClippingByValueKeepsTrainingStable()
    {
        var ml = new MLContext(seed: 1);
        var options = Small(new AdamOptimizer { LearningRate = 0.01f }, epochs: 10);
        options.GradientClipValue = 0.05f;
        var model = new AdamMlpTrainer(ml, options).Fit(Blobs(ml, 30, 1));
        Assert.True(ml.MulticlassClassification.Evaluate(model.Transform(Blobs(ml, 20, 2))).MicroAccuracy > 0.9);
    }

    [Fact]
    public void DropoutIsSeededInTrainingAndOffWhenScoring()
    {
        var ml = new MLContext(seed: 1);
        AdamMlpTrainer.Options WithDropout(float rate)
        {
            var o = Small(new AdamOptimizer { LearningRate = 0.01f }, epochs: 8);
            o.HiddenLayerSizes = [16, 16];
            o.DropoutRate = rate;
            return o;
        }
        var a = new AdamMlpTrainer(ml, WithDropout(0.3f)).Fit(Blobs(ml, 30, 1));
        var b = new AdamMlpTrainer(ml, WithDropout(0.3f)).Fit(Blobs(ml, 30, 1));
        var none = new AdamMlpTrainer(ml, WithDropout(0f)).Fit(Blobs(ml, 30, 1));
        Assert.Equal(a.Model.GetParameters(), b.Model.GetParameters());          // seeded: reproducible
        Assert.NotEqual(a.Model.GetParameters(), none.Model.GetParameters());    // and it really drops units

        // Scoring is deterministic: the same row scored twice gives the same probabilities.
        var test = Blobs(ml, 5, 2);
        var first = ml.Data.CreateEnumerable<DeterminismTests.ScoreRow>(a.Transform(test), false).ToList();
        var second = ml.Data.CreateEnumerable<DeterminismTests.ScoreRow>(a.Transform(test), false).ToList();
        Assert.Equal(first.Select(r => r.Score), second.Select(r => r.Score));
        Assert.True(ml.MulticlassClassification.Evaluate(a.Transform(Blobs(ml, 20, 2))).MicroAccuracy > 0.9);
    }

    [Fact]
    public void PhasesRunInOrderAndTheHistoryRecordsEachPhase()
    {
        var ml = new MLContext(seed: 1);
        var options = Small(new AdamOptimizer());
        options.HiddenLayerSizes = [];
        options.Phases =
        [
            new TrainingPhase { Optimizer = new AdamOptimizer { LearningRate = 0.05f }, NumberOfEpochs = 3 },
            new TrainingPhase { Optimizer = new UserGradientDescent { Iterations = 5, StepSize = 0.2f } },
            new TrainingPhase { Optimizer = new SgdOptimizer { LearningRate = 0.01f }, NumberOfEpochs = 2, LearningRateSchedule = new ExponentialSchedule { Gamma = 0.5 } },
        ];
        var history = new AdamMlpTrainer(ml, options).Fit(Blobs(ml, 30, 1)).Model.TrainingHistory;
        Assert.Equal(Enumerable.Range(1, 10), history.Select(h => h.Epoch));
        Assert.Equal(new[] { 0, 0, 0, 1, 1, 1, 1, 1, 2, 2 }, history.Select(h => h.Phase));
        Assert.Equal(new[] { "AdamOptimizer", "UserGradientDescent", "SgdOptimizer" }, history.Select(h => h.Optimizer).Distinct());
        Assert.Equal(new[] { 0.01, 0.005 }, history.Skip(8).Select(h => Math.Round(h.LearningRate, 6)));
        // The full-batch phase continues from Adam's weights: its first loss is below the first Adam epoch's.
        Assert.True(history[3].TrainingLoss < history[0].TrainingLoss);
        Assert.All(history.Skip(3).Take(5), h => Assert.Null(h.GradientNorm));
    }

    [Fact]
    public void AdamHandsOverToLbfgsWhichPolishesOnTheFullBatch()
    {
        var ml = new MLContext(seed: 1);
        var options = Small(new AdamOptimizer());
        options.L2Regularization = 1e-3f;
        options.Phases =
        [
            new TrainingPhase { Optimizer = new AdamOptimizer { LearningRate = 0.01f }, NumberOfEpochs = 5 },
            new TrainingPhase { Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 30 } },
        ];
        var history = new AdamMlpTrainer(ml, options).Fit(Blobs(ml, 30, 1)).Model.TrainingHistory;
        var adam = history.Where(h => h.Phase == 0).ToList();
        var lbfgs = history.Where(h => h.Phase == 1).ToList();
        Assert.Equal(5, adam.Count);
        Assert.InRange(lbfgs.Count, 1, 30);
        Assert.All(lbfgs, h => Assert.Equal("LbfgsOptimizer", h.Optimizer));
        // L-BFGS never raises the full-batch loss, ends below Adam, and says why it stopped.
        for (int i = 1; i < lbfgs.Count; i++)
            Assert.True(lbfgs[i].TrainingLoss <= lbfgs[i - 1].TrainingLoss);
        Assert.True(lbfgs[^1].TrainingLoss < adam[^1].TrainingLoss);
        Assert.NotNull(lbfgs[^1].StopReason);
        Assert.All(history.Take(history.Count - 1), h => Assert.Null(h.StopReason));
    }

    public static TheoryData<string, Action<AdamMlpTrainer.Options>> Invalid => new()
    {
        { "GradientClipNorm", o => o.GradientClipNorm = 0 },
        { "GradientClipNorm", o => o.GradientClipNorm = float.NaN },
        { "GradientClipValue", o => o.GradientClipValue = -1 },
        { "DropoutRate", o => o.DropoutRate = 1 },
        { "DropoutRate", o => o.DropoutRate = -0.1f },
        { "DropoutRate", o => { o.DropoutRate = 0.2f; o.Optimizer = new UserGradientDescent(); } },
        { "DropoutRate", o => { o.DropoutRate = 0.2f; o.Optimizer = new LbfgsOptimizer(); } },
        { "HistorySize", o => o.Optimizer = new LbfgsOptimizer { HistorySize = 0 } },
        { "Epochs", o => o.LearningRateSchedule = new CosineAnnealingSchedule { Epochs = 0 } },
        { "NumberOfEpochs", o => o.Phases = [new TrainingPhase { NumberOfEpochs = 0 }] },
        { "Rho", o => o.Phases = [new TrainingPhase(), new TrainingPhase { Optimizer = new AdadeltaOptimizer { Rho = 2 } }] },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidControlsThrowNamingTheSetting(string setting, Action<AdamMlpTrainer.Options> spoil)
    {
        var options = new AdamMlpTrainer.Options();
        spoil(options);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpTrainer(new MLContext(1), options));
        Assert.Equal(setting, e.ParamName);
    }
}
