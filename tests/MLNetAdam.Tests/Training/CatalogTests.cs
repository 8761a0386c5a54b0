using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class CatalogTests
{
    private static IDataView Blobs(MLContext ml)
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(30, 4));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    [Fact]
    public void TheCatalogEntryTrainsTheSameModelAsTheConstructor()
    {
        // No explicit seed: both take it from the context's seed, through the environment.
        var a = new MLContext(seed: 5);
        var fromCatalog = a.MulticlassClassification.Trainers.AdamMlp(hiddenLayerSizes: [6], numberOfEpochs: 15, batchSize: 16).Fit(Blobs(a)).Model;
        var b = new MLContext(seed: 5);
        var fromConstructor = new AdamMlpTrainer(b, new AdamMlpTrainer.Options { HiddenLayerSizes = [6], NumberOfEpochs = 15, BatchSize = 16 }).Fit(Blobs(b)).Model;
        Assert.Equal(fromConstructor.GetParameters(), fromCatalog.GetParameters());
    }

    [Fact]
    public void TheOptionsOverloadWorksInAPipelineAndSaves()
    {
        var ml = new MLContext(seed: 1);
        var data = Blobs(ml);
        var model = ml.Transforms.Concatenate("Features", "Features")
            .Append(ml.MulticlassClassification.Trainers.AdamMlp(new AdamMlpTrainer.Options { HiddenLayerSizes = [6], Optimizer = new AdamOptimizer { LearningRate = 0.05f }, BatchSize = 16, NumberOfEpochs = 30 }))
            .Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.True(metrics.MicroAccuracy > 0.8, $"accuracy {metrics.MicroAccuracy}");

        // A trainer made by the catalog (whose context it cannot see) still saves through ML.NET's own transformers.
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        Assert.Equal(metrics.MicroAccuracy, ml.MulticlassClassification.Evaluate(loaded.Transform(data)).MicroAccuracy);
    }
}
