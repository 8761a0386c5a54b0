using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MLNetAdam.Tests.Training;

/// <summary>Trains once on the digits data (a fixed seeded 80/20 split) with the settings.</summary>
public sealed class DigitsModelFixture
{
    /// <summary>Seed of the fixed split (and of the MLContext).</summary>
    public const int SplitSeed = 2;

    public DigitsModelFixture()
    {
        Ml = new MLContext(seed: SplitSeed);
        Ml.Log += (_, e) =>
        {
            if (e.Source.Contains("AdamMlpTrainer", StringComparison.Ordinal))
                Messages.Add(e.Message);
        };
        var split = Digits.Split(Ml, SplitSeed);
        Train = split.TrainSet;
        Test = split.TestSet;
        var pipeline = Ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(Ml.Transforms.Concatenate("Features", "Pixels"))
            .Append(new AdamMlpTrainer(Ml, new AdamMlpTrainer.Options
            {
                HiddenLayerSizes = [64],
                Optimizer = new AdamOptimizer { LearningRate = 1e-3f },
                BatchSize = 32,
                NumberOfEpochs = 30,
            }))
            .Append(Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        Model = pipeline.Fit(Train);
        Scored = Model.Transform(Test);
        Metrics = Ml.MulticlassClassification.Evaluate(Scored);
    }

    public MLContext Ml { get; }

    public List<string> Messages { get; } = new();

    public IDataView Train { get; }

    public IDataView Test { get; }

    public ITransformer Model { get; }

    public IDataView Scored { get; }

    public MulticlassClassificationMetrics Metrics { get; }

    public AdamMlpTransformer Mlp => ((IEnumerable<ITransformer>)Model).OfType<AdamMlpTransformer>().Single();
}

public sealed class DigitsEndToEndTests(DigitsModelFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<DigitsModelFixture>
{
    [Fact]
    public void TheFittedPipelineEvaluates()
    {
        // One initialization on one split varies by about ±1.5 points (see below); this is a floor, not the target.
        Assert.True(fixture.Metrics.MicroAccuracy >= 0.93, $"micro-accuracy {fixture.Metrics.MicroAccuracy:F4}");
        Assert.InRange(fixture.Metrics.LogLoss, 0, 0.35);
        Assert.Equal(10, fixture.Metrics.ConfusionMatrix.NumberOfClasses);
    }

    [Fact]
    public void MicroAccuracyOnTheFixedSplitIsAtLeast95Percent()
    {
        // The settings on the fixed split, averaged over five initialization seeds (one seed alone moves the
        // accuracy by ±1.5 points on 374 test rows, so a single run is a coin toss around any fixed threshold).
        var ml = new MLContext(seed: DigitsModelFixture.SplitSeed);
        var split = Digits.Split(ml, DigitsModelFixture.SplitSeed);
        var featurized = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.Concatenate("Features", "Pixels")).Fit(split.TrainSet);
        var train = featurized.Transform(split.TrainSet);
        var test = featurized.Transform(split.TestSet);
        var accuracies = new List<double>();
        for (int seed = 1; seed <= 5; seed++)
        {
            var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
            {
                HiddenLayerSizes = [64],
                Optimizer = new AdamOptimizer { LearningRate = 1e-3f },
                BatchSize = 32,
                NumberOfEpochs = 30,
                Seed = seed,
            }).Fit(train);
            accuracies.Add(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy);
        }
        string all = string.Join(", ", accuracies.Select(a => a.ToString("F4")));
        output.WriteLine($"fixed split, five seeds: {all} (mean {accuracies.Average():F4})");
        Assert.True(accuracies.Average() >= 0.95, $"mean micro-accuracy {accuracies.Average():F4} ({all})");
        Assert.True(accuracies.Min() >= 0.93, $"worst micro-accuracy {accuracies.Min():F4} ({all})");
    }

    [Fact]
    public void AccuracyOverFiveSplitsStaysAboveAFloorNearScikitLearns()
    {
        // The same settings on five seeded splits (MLContext seed = split seed, so the initialization varies too). This
        // asserts a floor, not a match: scikit-learn's MLPClassifier averages 0.968 over five splits with a worst of 0.95,
        // and the floor (mean 0.955, worst 0.93) leaves room for the spread of one initialization on 374 test rows. ML.NET's split 1 is the
        // hardest here: 0.933..0.957 over ten initialization seeds (mean 0.948).
        var accuracies = new List<double>();
        for (int seed = 1; seed <= 5; seed++)
        {
            var ml = new MLContext(seed: seed);
            var split = Digits.Split(ml, seed);
            var model = ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.Transforms.Concatenate("Features", "Pixels"))
                .Append(new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [64], BatchSize = 32, NumberOfEpochs = 30 }))
                .Fit(split.TrainSet);
            accuracies.Add(ml.MulticlassClassification.Evaluate(model.Transform(split.TestSet)).MicroAccuracy);
        }
        string all = string.Join(", ", accuracies.Select(a => a.ToString("F4")));
        output.WriteLine($"five splits: {all} (mean {accuracies.Average():F4})");
        Assert.True(accuracies.Average() >= 0.955, $"mean micro-accuracy {accuracies.Average():F4} ({all})");
        Assert.True(accuracies.Min() >= 0.93, $"worst micro-accuracy {accuracies.Min():F4} ({all})");
    }

    [Fact]
    public void HistoryHasOneDecreasingEntryPerEpoch()
    {
        var history = fixture.Mlp.Model.TrainingHistory;
        Assert.Equal(30, history.Count);
        Assert.Equal(Enumerable.Range(1, 30), history.Select(h => h.Epoch));
        Assert.True(history[^1].TrainingLoss < 0.5 * history[0].TrainingLoss, $"{history[0].TrainingLoss} -> {history[^1].TrainingLoss}");
        Assert.All(history, h => Assert.Null(h.ValidationLoss));
    }

    [Fact]
    public void ModelDescribesTheNetwork()
    {
        var model = fixture.Mlp.Model;
        Assert.Equal(new[] { 64, 64, 10 }, model.LayerSizes);
        Assert.Equal(MlpActivation.Relu, model.Activation);
        Assert.Equal(64 * 64, model.GetWeights(0).Length);
        Assert.Equal(64, model.GetBiases(0).Length);
        Assert.Equal(10 * 64, model.GetWeights(1).Length);
        Assert.Equal(64 * 64 + 64 + 640 + 10, model.ParameterCount);
        // MapValueToKey orders keys by first appearance; the class names are the label values in key order.
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()).OrderBy(s => s), model.ClassNames.OrderBy(s => s));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.GetWeights(2));
    }

    [Fact]
    public void LogHasOneLinePerEpoch()
    {
        Assert.Equal(30, fixture.Messages.Count(m => m.Contains("Epoch ", StringComparison.Ordinal) && m.Contains("training loss", StringComparison.Ordinal)));
        Assert.Contains(fixture.Messages, m => m.Contains("Epoch 30/30", StringComparison.Ordinal));
    }

    [Fact]
    public void PredictionEngineAgreesWithBulkTransform()
    {
        var engine = fixture.Ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(fixture.Model);
        var rows = fixture.Ml.Data.CreateEnumerable<Digit>(fixture.Test, reuseRowObject: false).Take(50).ToList();
        var bulk = fixture.Ml.Data.CreateEnumerable<DigitPrediction>(fixture.Scored, reuseRowObject: false).Take(50).ToList();
        int correct = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var p = engine.Predict(rows[i]);
            Assert.Equal(bulk[i].PredictedLabel, p.PredictedLabel);
            Assert.Equal(bulk[i].Score, p.Score);
            Assert.Equal(1.0, p.Score.Sum(), 5);
            // PredictedLabel is the original digit value, not a key index.
            Assert.InRange(p.PredictedLabel, 0, 9);
            Assert.Equal(p.PredictedLabel, float.Parse(fixture.Mlp.Model.ClassNames[Array.IndexOf(p.Score, p.Score.Max())]));
            if (p.PredictedLabel == rows[i].Label)
                correct++;
        }
        Assert.True(correct >= 45, $"{correct}/50 correct");
    }

    [Fact]
    public void PreviewShowsScoreAndPredictedLabel()
    {
        var preview = fixture.Scored.Preview(maxRows: 5);
        Assert.Equal(5, preview.RowView.Length);
        Assert.Contains(preview.Schema, c => c.Name == "Score");
        Assert.Contains(preview.Schema, c => c.Name == "PredictedLabel");
        // Hidden columns (the original Label) also appear in the preview: take the visible, last one.
        var score = (VBuffer<float>)preview.RowView[0].Values.Last(kv => kv.Key == "Score").Value;
        Assert.Equal(10, score.Length);
        Assert.Equal(1.0, score.DenseValues().Sum(), 5);
    }

    [Fact]
    public void ScoringFromSeveralThreadsAtOnceGivesTheSameScores()
    {
        var scored = fixture.Mlp.Transform(fixture.Ml.Transforms.Concatenate("Features", "Pixels").Fit(fixture.Test).Transform(fixture.Test));
        var reference = ReadScores(scored);
        var results = new List<float[]>[4];
        Parallel.For(0, results.Length, i => results[i] = ReadScores(scored));
        foreach (var result in results)
        {
            Assert.Equal(reference.Count, result.Count);
            for (int r = 0; r < reference.Count; r++)
                Assert.Equal(reference[r], result[r]);
        }
    }

    private static List<float[]> ReadScores(IDataView data)
    {
        var list = new List<float[]>();
        using var cursor = data.GetRowCursor(data.Schema.Where(c => c.Name == "Score"));
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema["Score"]);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            list.Add(buffer.DenseValues().ToArray());
        }
        return list;
    }
}
