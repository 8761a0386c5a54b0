using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class TextPrediction
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}

public sealed class NumericPrediction
{
    public float PredictedLabel { get; set; }
}

public sealed class PipelineTests
{
    private static AdamMlpTrainer.Options SmallOptions(int epochs = 15) => new()
    {
        HiddenLayerSizes = [8],
        Optimizer = new AdamOptimizer { LearningRate = 0.01f },
        BatchSize = 16,
        NumberOfEpochs = epochs,
        Seed = 3,
    };

    [Fact]
    public void TextLabelsComeBackThroughMapKeyToValue()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(60, seed: 1));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(new AdamMlpTrainer(ml, SmallOptions()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);

        var engine = ml.Model.CreatePredictionEngine<TextLabelRow, TextPrediction>(model);
        var test = SyntheticData.Blobs(20, seed: 2);
        int correct = test.Count(row => engine.Predict(row).PredictedLabel == row.Label);
        Assert.True(correct >= 0.9 * test.Count, $"{correct}/{test.Count}");
        Assert.All(test, row => Assert.Contains(engine.Predict(row).PredictedLabel, SyntheticData.Animals));

        var mlp = ((IEnumerable<ITransformer>)model).OfType<AdamMlpTransformer>().Single();
        Assert.Equal(SyntheticData.Animals, mlp.Model.ClassNames);
    }

    [Fact]
    public void NumericLabelsComeBackThroughMapKeyToValue()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.NumericBlobs(60, seed: 1));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(new AdamMlpTrainer(ml, SmallOptions()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        var predictions = ml.Data.CreateEnumerable<NumericPrediction>(model.Transform(ml.Data.LoadFromEnumerable(SyntheticData.NumericBlobs(20, seed: 2))), false).ToList();
        var truth = SyntheticData.NumericBlobs(20, seed: 2);
        Assert.All(predictions, p => Assert.Contains(p.PredictedLabel, new[] { 3f, 7f, 11f }));
        int correct = predictions.Zip(truth).Count(z => z.First.PredictedLabel == z.Second.Label);
        Assert.True(correct >= 0.9 * truth.Count, $"{correct}/{truth.Count}");
    }

    [Fact]
    public void OutputSchemaCarriesTheAnnotationsOfAMulticlassScorer()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(10, 1)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(10, 1)));
        var trainer = new AdamMlpTrainer(ml, SmallOptions(epochs: 1));

        // The estimator's shape (used by EstimatorChain and CrossValidate before training) and the fitted schema agree.
        var shape = trainer.GetOutputSchema(SchemaShapes.Of(ml, data));
        Assert.Contains(shape, c => c.Name == "Score" && c.Kind == SchemaShape.Column.VectorKind.Vector && c.ItemType == NumberDataViewType.Single);
        Assert.Contains(shape, c => c.Name == "PredictedLabel" && c.IsKey);

        var transformer = trainer.Fit(data);
        var schema = transformer.GetOutputSchema(data.Schema);
        var score = schema["Score"];
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), score.Type);
        VBuffer<ReadOnlyMemory<char>> slotNames = default;
        score.GetSlotNames(ref slotNames);
        Assert.Equal(SyntheticData.Animals, slotNames.DenseValues().Select(m => m.ToString()));
        ReadOnlyMemory<char> kind = default;
        score.Annotations.GetValue("ScoreColumnKind", ref kind);
        Assert.Equal("MulticlassClassification", kind.ToString());
        score.Annotations.GetValue("ScoreValueKind", ref kind);
        Assert.Equal("Score", kind.ToString());
        uint setId = 0;
        score.Annotations.GetValue("ScoreColumnSetId", ref setId);
        Assert.Equal(1u, setId);

        var predicted = schema["PredictedLabel"];
        Assert.Equal(new KeyDataViewType(typeof(uint), 3), predicted.Type);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        predicted.GetKeyValues(ref keyValues);
        Assert.Equal(SyntheticData.Animals, keyValues.DenseValues().Select(m => m.ToString()));

        // Scoring twice stacks a second score-column set, as ML.NET's scorers do.
        var twice = transformer.GetOutputSchema(schema);
        twice["Score"].Annotations.GetValue("ScoreColumnSetId", ref setId);
        Assert.Equal(2u, setId);
        Assert.True(twice[schema["Score"].Index].IsHidden);
    }

    [Fact]
    public void EvaluateAndCrossValidateWork()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(40, seed: 4));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(new AdamMlpTrainer(ml, SmallOptions()));

        var folds = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 3);
        Assert.Equal(3, folds.Count);
        Assert.All(folds, f => Assert.True(f.Metrics.MicroAccuracy > 0.85, $"fold accuracy {f.Metrics.MicroAccuracy}"));
        Assert.All(folds, f => Assert.Equal(3, f.Metrics.ConfusionMatrix.NumberOfClasses));
    }

    [Fact]
    public void ValidationLossIsRecordedEveryEpoch()
    {
        var ml = new MLContext(seed: 1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(30, 1)));
        var train = keys.Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(30, 1)));
        var validation = keys.Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(10, 2)));
        var model = new AdamMlpTrainer(ml, SmallOptions(epochs: 5)).Fit(train, validation);
        var history = model.Model.TrainingHistory;
        Assert.Equal(5, history.Count);
        Assert.All(history, h => Assert.True(h.ValidationLoss is > 0 and < 2, $"validation loss {h.ValidationLoss}"));
        Assert.True(history[^1].ValidationLoss < history[0].ValidationLoss);
    }

    [Fact]
    public void RowsWithMissingLabelsNaNFeaturesOrBadWeightsAreSkippedAndLogged()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) messages.Add(e.Message); };
        var rows = SyntheticData.Blobs(20, 1);
        rows[0].Features[1] = float.NaN;
        rows[1].Features[2] = float.PositiveInfinity;
        rows[2].Weight = -1;
        rows[3].Weight = float.NaN;
        var data = ml.Data.LoadFromEnumerable(rows);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data);
        var options = SmallOptions(epochs: 2);
        options.ExampleWeightColumnName = "Weight";
        new AdamMlpTrainer(ml, options).Fit(keys.Transform(data));
        Assert.Contains(messages, m => m.Contains("Skipped 4 training rows", StringComparison.Ordinal));
    }

    [Fact]
    public void ExampleWeightsScaleInvariant()
    {
        // The loss is a weighted mean, so multiplying every weight by 2 trains the same model.
        var ml = new MLContext(seed: 1);
        var rows = SyntheticData.Blobs(20, 1);
        var doubled = rows.Select(r => new TextLabelRow { Label = r.Label, Features = r.Features, Weight = 2f }).ToList();
        float[] Train(List<TextLabelRow> data)
        {
            var view = ml.Data.LoadFromEnumerable(data);
            var options = SmallOptions(epochs: 3);
            options.ExampleWeightColumnName = "Weight";
            return new AdamMlpTrainer(ml, options).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view)).Model.GetParameters();
        }
        var a = Train(rows);
        var b = Train(doubled);
        for (int i = 0; i < a.Length; i++)
            Assert.Equal(a[i], b[i], 1e-5f);

        // Weights matter: making the "cat" rows weigh 10 moves the model.
        var skewed = rows.Select(r => new TextLabelRow { Label = r.Label, Features = r.Features, Weight = r.Label == "cat" ? 10f : 1f }).ToList();
        var c = Train(skewed);
        Assert.True(a.Zip(c).Max(z => Math.Abs(z.First - z.Second)) > 1e-3);
    }
}
