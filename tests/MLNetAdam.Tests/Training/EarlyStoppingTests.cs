using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class EarlyStoppingTests
{
    private static IDataView Blobs(MLContext ml, int perClass = 40, int seed = 1)
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(perClass, seed));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    [Fact]
    public void StopsAfterPatienceEpochsWithoutAnImprovementLargerThanTheMinimum()
    {
        // Losses 1.0, 0.9, 0.85, then 0.8495 (better by less than 0.001: no improvement), 0.86, 0.851: three epochs
        // without improvement after epoch 3, so patience 3 stops at epoch 6 with epoch 3 the best.
        var monitor = new EarlyStoppingMonitor(new EarlyStopping { Metric = EarlyStoppingMetric.TrainingLoss, Patience = 3, MinimumImprovement = 1e-3 }, parameterCount: 1);
        double[] losses = [1.0, 0.9, 0.85, 0.8495, 0.86, 0.851, 0.5];
        var stops = new List<int>();
        for (int e = 0; e < losses.Length; e++)
        {
            float[] weights = [e + 1];
            if (monitor.Observe(e + 1, losses[e], null, null, weights))
            {
                stops.Add(e + 1);
                break;
            }
        }
        Assert.Equal([6], stops);
        Assert.Equal(3, monitor.BestEpoch);
        float[] restored = [0];
        monitor.Restore(restored);
        Assert.Equal(3f, restored[0]);
    }

    [Fact]
    public void AccuracyStopsWhenItNoLongerRises()
    {
        var monitor = new EarlyStoppingMonitor(new EarlyStopping { Metric = EarlyStoppingMetric.ValidationAccuracy, Patience = 2, MinimumImprovement = 0 }, parameterCount: 1);
        double[] accuracies = [0.5, 0.7, 0.7, 0.69];
        int stoppedAt = 0;
        for (int e = 0; e < accuracies.Length && stoppedAt == 0; e++)
            if (monitor.Observe(e + 1, 1.0, 1.0, accuracies[e], [e]))
                stoppedAt = e + 1;
        Assert.Equal(4, stoppedAt);
        Assert.Equal(2, monitor.BestEpoch);
    }

    [Fact]
    public void RestoredWeightsAreExactlyTheBestEpochs()
    {
        // Stop on the validation loss with a held-out fifth; the run that trains exactly to the best epoch (no early
        // stopping, same seed: early stopping draws no random numbers) must give the very same model.
        AdamMlpTrainer.Options Options(int epochs, EarlyStopping? stopping) => new()
        {
            HiddenLayerSizes = [16],
            Optimizer = new AdamOptimizer { LearningRate = 0.05f },
            BatchSize = 16,
            NumberOfEpochs = epochs,
            ValidationFraction = 0.2f,
            EarlyStopping = stopping,
            Seed = 3,
        };
        var ml = new MLContext(seed: 1);
        var data = Blobs(ml, perClass: 60, seed: 7);
        var stopped = new AdamMlpTrainer(ml, Options(300, new EarlyStopping { Metric = EarlyStoppingMetric.ValidationLoss, Patience = 3, MinimumImprovement = 0 })).Fit(data).Model;
        var history = stopped.TrainingHistory;
        Assert.True(history.Count < 300, "early stopping never triggered");
        Assert.Equal(StopReason.EarlyStopping, history[^1].StopReason);
        int best = history.Select((h, i) => (h.ValidationLoss!.Value, i)).Min().i + 1;
        Assert.Equal(history.Count - 3, best);

        var reference = new AdamMlpTrainer(ml, Options(best, null)).Fit(data).Model;
        Assert.Equal(reference.GetParameters(), stopped.GetParameters());
    }

    [Fact]
    public void LbfgsIsCheckedEveryIteration()
    {
        // A minimum improvement no iteration can reach: the phase stops after `Patience` iterations.
        var ml = new MLContext(seed: 1);
        var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [8],
            Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 50 },
            EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.TrainingLoss, Patience = 2, MinimumImprovement = 100, RestoreBestWeights = false },
            Seed = 2,
        }).Fit(Blobs(ml)).Model;
        // The first iteration sets the best value; the next two do not beat it by 100, so the third ends the phase.
        Assert.Equal(3, model.TrainingHistory.Count);
        Assert.Equal(StopReason.EarlyStopping, model.TrainingHistory[^1].StopReason);
    }

    [Fact]
    public void AValidationMetricWithoutValidationDataIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
        {
            EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationAccuracy },
        }).Fit(Blobs(ml)));
        Assert.Contains("ValidationFraction", e.Message);
        Assert.Equal("Patience", Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping { Patience = 0 }.Validate()).ParamName);
    }

    [Fact]
    public void TheDefaultConvergenceStopEndsAConvergedRunEarlyAndKeepsOneEntryPerEpoch()
    {
        var ml = new MLContext(seed: 1);
        var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [8], Optimizer = new AdamOptimizer { LearningRate = 0.05f }, BatchSize = 16, Seed = 1 })
            .Fit(Blobs(ml)).Model;
        var history = model.TrainingHistory;
        Assert.InRange(history.Count, 11, AdamMlpTrainer.Defaults.NumberOfEpochs - 1);
        Assert.Equal(Enumerable.Range(1, history.Count), history.Select(h => h.Epoch));
        Assert.All(history, h => Assert.True(double.IsFinite(h.TrainingLoss) && h.Duration >= TimeSpan.Zero));
        Assert.Equal(StopReason.EarlyStopping, history[^1].StopReason);
        Assert.All(history.Take(history.Count - 1), h => Assert.Null(h.StopReason));
    }
}
