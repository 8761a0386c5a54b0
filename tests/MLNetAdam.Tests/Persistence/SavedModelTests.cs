using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace MLNetAdam.Tests.Persistence;

/// <summary>
/// <c>mlContext.Model.Save</c> / <c>Load</c> of pipelines containing an <see cref="AdamMlpTransformer"/>: the saved
/// model is loaded in a fresh process that does not reference MLNetAdam (tests/ModelLoader) and must give the same
/// scores (to 1e-5), the same labels and the same metrics as the model in memory.
/// </summary>
public sealed class PersistenceTests : IDisposable
{
    private const float Tolerance = 1e-5f;
    private readonly ITestOutputHelper _output;
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetadam-persistence-").FullName;

    public PersistenceTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static AdamMlpTrainer.Options SmallOptions(string featureColumnName, MlpActivation activation = MlpActivation.Relu) => new()
    {
        FeatureColumnName = featureColumnName,
        HiddenLayerSizes = [8],
        Activation = activation,
        Optimizer = new AdamOptimizer { LearningRate = 0.01f },
        BatchSize = 16,
        NumberOfEpochs = 10,
        Seed = 3,
    };

    [Fact]
    public void TextLabelPipelineLoadsInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(60, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(20, seed: 2));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("AllFeatures", "Features", "Weight"))
            .Append(new AdamMlpTrainer(ml, SmallOptions("AllFeatures", MlpActivation.Tanh)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel"))
            .Fit(train);

        var loaded = SaveAndLoadElsewhere(ml, model, train.Schema, test, "--columns", "Score,PredictedLabel,PredictedValue", "--evaluate", "Label", "--engine", "text");

        var scored = model.Transform(test);
        AssertSameScoresAndLabels(scored, loaded, "text labels");
        Assert.Equal(scored.GetColumn<string>("PredictedValue"), Strings(loaded.RootElement.GetProperty("columns").GetProperty("PredictedValue")));
        Assert.Subset(SyntheticData.Animals.ToHashSet(), Strings(loaded.RootElement.GetProperty("columns").GetProperty("PredictedValue")).ToHashSet());
        AssertSameMetrics(ml.MulticlassClassification.Evaluate(scored, "Label"), loaded);
        AssertSameEngineOutput(scored, loaded);
        AssertSameSchema(scored.Schema, loaded);
        AssertNetworkRecoverable(model);
    }

    [Fact]
    public void NumericLabelPipelineLoadsInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.NumericBlobs(60, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.NumericBlobs(20, seed: 2));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("AllFeatures", "Features", "Features"))
            .Append(new AdamMlpTrainer(ml, SmallOptions("AllFeatures", MlpActivation.Gelu)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel"))
            .Fit(train);

        var loaded = SaveAndLoadElsewhere(ml, model, train.Schema, test, "--columns", "Score,PredictedLabel,PredictedValue", "--evaluate", "Label", "--engine", "numeric");

        var scored = model.Transform(test);
        AssertSameScoresAndLabels(scored, loaded, "numeric labels");
        var values = Floats(loaded.RootElement.GetProperty("columns").GetProperty("PredictedValue"));
        Assert.Equal(scored.GetColumn<float>("PredictedValue"), values);
        Assert.All(values, v => Assert.Contains(v, new[] { 3f, 7f, 11f }));
        AssertSameMetrics(ml.MulticlassClassification.Evaluate(scored, "Label"), loaded);
        AssertSameEngineOutput(scored, loaded);
        AssertSameSchema(scored.Schema, loaded);
        AssertNetworkRecoverable(model);
    }

    [Fact]
    public void PipelineWithTransformsBeforeAndAfterLoadsInAFreshProcess()
    {
        // Digits: ten classes whose key order (by occurrence) differs from the numeric order of the labels.
        var ml = new MLContext(seed: 1);
        var split = Digits.Split(ml, seed: 1);
        var options = SmallOptions("Pixels", MlpActivation.LeakyRelu);
        options.HiddenLayerSizes = [24];
        options.NumberOfEpochs = 5;
        options.BatchSize = 32;
        var model = ml.Transforms.NormalizeMinMax("Pixels")
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(new AdamMlpTrainer(ml, options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Append(ml.Transforms.CopyColumns("Probabilities", "Score"))
            .Fit(split.TrainSet);

        var loaded = SaveAndLoadElsewhere(ml, model, split.TrainSet.Schema, split.TestSet, "--columns", "Score,PredictedLabel,Probabilities");

        var scored = model.Transform(split.TestSet);
        var columns = loaded.RootElement.GetProperty("columns");
        double deviation = MaxDeviation(scored.GetColumn<float[]>("Score").ToArray(), FloatRows(columns.GetProperty("Score")));
        _output.WriteLine($"digits 64-24-10: max |fresh process - in memory| Score = {deviation:E2}");
        Assert.True(deviation <= Tolerance, $"Score differs by {deviation:E2}");
        Assert.True(MaxDeviation(scored.GetColumn<float[]>("Probabilities").ToArray(), FloatRows(columns.GetProperty("Probabilities"))) <= Tolerance);
        var predicted = scored.GetColumn<float>("PredictedLabel").ToArray();
        Assert.Equal(predicted, Floats(columns.GetProperty("PredictedLabel")));
        Assert.True(predicted.Zip(split.TestSet.GetColumn<float>("Label")).Count(p => p.First == p.Second) > 0.8 * predicted.Length);
        AssertSameSchema(scored.Schema, loaded);
    }

    [Fact]
    public void TransformerSavedAloneLoadsInTheSameProcess()
    {
        // An app that references MLNetAdam loads the saved chain too (it does not need MLNetAdam for it).
        var ml = new MLContext(seed: 1);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(40, seed: 1)));
        var train = keyed.Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(40, seed: 1)));
        var test = keyed.Transform(ml.Data.LoadFromEnumerable(SyntheticData.Blobs(10, seed: 2)));
        var transformer = new AdamMlpTrainer(ml, SmallOptions("Features", MlpActivation.Sigmoid)).Fit(train);

        string path = Path.Combine(_folder, "alone.zip");
        ml.Model.Save(transformer, train.Schema, path);
        var loaded = new MLContext(seed: 2).Model.Load(path, out var inputSchema);

        Assert.Equal(train.Schema.Select(c => (c.Name, c.Type)), inputSchema.Select(c => (c.Name, c.Type)));
        var expected = transformer.Transform(test);
        var actual = loaded.Transform(test);
        Assert.True(MaxDeviation(expected.GetColumn<float[]>("Score").ToArray(), actual.GetColumn<float[]>("Score").ToArray()) <= Tolerance);
        Assert.Equal(expected.GetColumn<uint>("PredictedLabel"), actual.GetColumn<uint>("PredictedLabel"));
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        actual.Schema["PredictedLabel"].GetKeyValues(ref keyValues);
        Assert.Equal(SyntheticData.Animals, keyValues.DenseValues().Select(v => v.ToString()));
        Assert.Equal(transformer.Model.GetParameters(), AdamMlpModelParameters.LoadFromSavedModel(path).GetParameters());
    }

    [Fact]
    public void LoadFromSavedModelRejectsFilesWithoutOneNetwork()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(5, seed: 1));
        string path = Path.Combine(_folder, "no-network.zip");
        ml.Model.Save(ml.Transforms.Conversion.MapValueToKey("Label").Fit(data), data.Schema, path);

        var error = Assert.Throws<InvalidDataException>(() => AdamMlpModelParameters.LoadFromSavedModel(path));
        Assert.Contains("no MLNetAdam network", error.Message);
        Assert.Throws<InvalidDataException>(() => AdamMlpModelParameters.LoadFromSavedModel(new MemoryStream([1, 2, 3, 4])));
    }

    /// <summary>Saves <paramref name="model"/>, checks no temporary ONNX file is left, and loads it in tests/ModelLoader.</summary>
    [Fact]
    public void BinaryPipelineLoadsInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(200, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(60, seed: 2));
        var options = new AdamMlpBinaryTrainer.Options
        {
            FeatureColumnName = "AllFeatures", HiddenLayerSizes = [8], Optimizer = new AdamOptimizer { LearningRate = 0.01f }, BatchSize = 16, NumberOfEpochs = 10, Seed = 3,
        };
        var model = ml.Transforms.Concatenate("AllFeatures", "Features").Append(new AdamMlpBinaryTrainer(ml, options)).Fit(train);

        var loaded = SaveAndLoadElsewhere(ml, model, train.Schema, test, "--columns", "Score,Probability,PredictedLabel", "--evaluate-binary", "Label", "--engine", "binary");

        // ONNX Runtime computes the network to float rounding; the loaded chain then passes the logit through a linear
        // model of weight exactly 1 and a Platt calibrator of the same formula as the transformer's.
        var scored = model.Transform(test);
        var scores = scored.GetColumn<float>("Score").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        foreach (var source in new[] { loaded.RootElement.GetProperty("columns"), loaded.RootElement.GetProperty("engine") })
        {
            AssertClose(scores, Floats(source.GetProperty("Score")), "Score");
            AssertClose(probabilities, Floats(source.GetProperty("Probability")), "Probability");
            var labels = source.GetProperty("PredictedLabel").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
            for (int r = 0; r < scores.Length; r++)
                Assert.True(Math.Abs(scores[r]) < 1e-4 || labels[r] == predicted[r], $"row {r}: PredictedLabel {labels[r]} for a logit of {scores[r]}");
        }

        var expected = ml.BinaryClassification.Evaluate(scored);
        var metrics = loaded.RootElement.GetProperty("binaryMetrics");
        _output.WriteLine($"AUC in memory {expected.AreaUnderRocCurve:R}, fresh process {metrics.GetProperty("AreaUnderRocCurve").GetDouble():R}");
        Assert.Equal(expected.AreaUnderRocCurve, metrics.GetProperty("AreaUnderRocCurve").GetDouble(), 6);
        Assert.Equal(expected.Accuracy, metrics.GetProperty("Accuracy").GetDouble(), 6);
        Assert.Equal(expected.F1Score, metrics.GetProperty("F1Score").GetDouble(), 6);
        Assert.Equal(expected.LogLoss, metrics.GetProperty("LogLoss").GetDouble(), 5);
        AssertSameSchema(scored.Schema, loaded);

        // ML.NET's own binary predictor and calibrator give the loaded columns the scorer annotations the evaluators read.
        foreach (string name in new[] { "Score", "Probability", "PredictedLabel" })
        {
            var column = loaded.RootElement.GetProperty("schema").EnumerateArray().Last(c => c.GetProperty("name").GetString() == name);
            Assert.Contains("ScoreValueKind", Strings(column.GetProperty("annotations")));
            Assert.Contains("ScoreColumnKind", Strings(column.GetProperty("annotations")));
        }
        AssertNetworkRecoverable(model);
    }

    [Fact]
    public void RegressionPipelineLoadsInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(200, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(60, seed: 2));
        var options = new AdamMlpRegressionTrainer.Options
        {
            FeatureColumnName = "AllFeatures", HiddenLayerSizes = [8], Optimizer = new AdamOptimizer { LearningRate = 0.01f }, BatchSize = 16, NumberOfEpochs = 10, Seed = 3,
        };
        var model = ml.Transforms.Concatenate("AllFeatures", "Features").Append(new AdamMlpRegressionTrainer(ml, options)).Fit(train);

        var loaded = SaveAndLoadElsewhere(ml, model, train.Schema, test, "--columns", "Score", "--evaluate-regression", "Label", "--engine", "regression");

        var scored = model.Transform(test);
        var scores = scored.GetColumn<float>("Score").ToArray();
        AssertClose(scores, Floats(loaded.RootElement.GetProperty("columns").GetProperty("Score")), "Score");
        AssertClose(scores, Floats(loaded.RootElement.GetProperty("engine").GetProperty("Score")), "PredictionEngine Score");
        var expected = ml.Regression.Evaluate(scored);
        var metrics = loaded.RootElement.GetProperty("regressionMetrics");
        Assert.Equal(expected.RSquared, metrics.GetProperty("RSquared").GetDouble(), 5);
        Assert.Equal(expected.MeanAbsoluteError, metrics.GetProperty("MeanAbsoluteError").GetDouble(), 3);
        AssertSameSchema(scored.Schema, loaded);
        AssertNetworkRecoverable(model);
    }

    // Agreement to float rounding, relative to the value (regression scores are in the label's units, here ~150).
    private void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int r = 0; r < expected.Length; r++)
            worst = Math.Max(worst, Math.Abs((double)expected[r] - actual[r]) / Math.Max(1, Math.Abs(expected[r])));
        _output.WriteLine($"{what}: max relative |fresh process - in memory| = {worst:E2}");
        Assert.True(worst <= Tolerance, $"{what} differs by {worst:E2}");
    }

    private JsonDocument SaveAndLoadElsewhere(MLContext ml, ITransformer model, DataViewSchema inputSchema, IDataView test, params string[] options)
    {
        string modelPath = Path.Combine(_folder, "model.zip");
        var before = TemporaryOnnxFiles();
        ml.Model.Save(model, inputSchema, modelPath);
        Assert.Subset(before, TemporaryOnnxFiles());

        string dataPath = Path.Combine(_folder, "test.idv");
        using (var stream = File.Create(dataPath))
            ml.Data.SaveAsBinary(test, stream, keepHidden: false);
        return ModelLoaderProcess.Run(modelPath, dataPath, options);
    }

    private static HashSet<string> TemporaryOnnxFiles() => Directory.GetFiles(Path.GetTempPath(), "mlnetadam-*.onnx").ToHashSet();

    private void AssertSameScoresAndLabels(IDataView scored, JsonDocument loaded, string what)
    {
        var columns = loaded.RootElement.GetProperty("columns");
        double deviation = MaxDeviation(scored.GetColumn<float[]>("Score").ToArray(), FloatRows(columns.GetProperty("Score")));
        _output.WriteLine($"{what}: max |fresh process - in memory| Score = {deviation:E2}");
        Assert.True(deviation <= Tolerance, $"{what}: Score differs by {deviation:E2}");
        Assert.Equal(scored.GetColumn<uint>("PredictedLabel"), columns.GetProperty("PredictedLabel").EnumerateArray().Select(e => e.GetUInt32()));
    }

    private void AssertSameMetrics(MulticlassClassificationMetrics expected, JsonDocument loaded)
    {
        var metrics = loaded.RootElement.GetProperty("metrics");
        Assert.Equal(expected.MicroAccuracy, metrics.GetProperty("MicroAccuracy").GetDouble());
        Assert.Equal(expected.MacroAccuracy, metrics.GetProperty("MacroAccuracy").GetDouble());
        Assert.Equal(
            expected.ConfusionMatrix.Counts.Select(row => row.ToArray()),
            metrics.GetProperty("ConfusionMatrix").EnumerateArray().Select(row => row.EnumerateArray().Select(e => e.GetDouble()).ToArray()));
        // The log-loss is computed from scores that agree to float rounding, so it agrees to about that.
        double logLoss = metrics.GetProperty("LogLoss").GetDouble();
        _output.WriteLine($"log-loss in memory {expected.LogLoss:R}, fresh process {logLoss:R}");
        Assert.True(Math.Abs(expected.LogLoss - logLoss) <= 1e-5 * Math.Max(1, expected.LogLoss), $"log-loss {expected.LogLoss} vs {logLoss}");
        Assert.True(Math.Abs(expected.LogLossReduction - metrics.GetProperty("LogLossReduction").GetDouble()) <= 1e-5);
    }

    private static void AssertSameEngineOutput(IDataView scored, JsonDocument loaded)
    {
        var engine = loaded.RootElement.GetProperty("engine");
        Assert.True(MaxDeviation(scored.GetColumn<float[]>("Score").ToArray(), FloatRows(engine.GetProperty("Score"))) <= Tolerance);
        Assert.Equal(scored.GetColumn<uint>("PredictedLabel"), engine.GetProperty("PredictedLabel").EnumerateArray().Select(e => e.GetUInt32()));
    }

    /// <summary>The loaded model's visible columns have the in-memory names, types and order; its PredictedLabel keeps the key values.</summary>
    private static void AssertSameSchema(DataViewSchema expected, JsonDocument loaded)
    {
        var columns = loaded.RootElement.GetProperty("schema").EnumerateArray()
            .Where(c => !c.GetProperty("hidden").GetBoolean())
            .Select(c => (c.GetProperty("name").GetString(), c.GetProperty("type").GetString()))
            .ToArray();
        Assert.Equal(expected.Where(c => !c.IsHidden).Select(c => ((string?)c.Name, (string?)c.Type.ToString())), columns);
        if (expected.GetColumnOrNull("PredictedLabel")?.Type is KeyDataViewType)
        {
            var predicted = loaded.RootElement.GetProperty("schema").EnumerateArray().Last(c => c.GetProperty("name").GetString() == "PredictedLabel");
            Assert.Contains("KeyValues", Strings(predicted.GetProperty("annotations")));
        }
    }

    /// <summary>The network can be read back from the saved file bit for bit (for warm starts).</summary>
    private void AssertNetworkRecoverable(ITransformer model)
    {
        var mlp = ((IEnumerable<ITransformer>)model).OfType<AdamMlpTransformer>().Single();
        var read = AdamMlpModelParameters.LoadFromSavedModel(Path.Combine(_folder, "model.zip"));
        Assert.Equal(mlp.Model.LayerSizes, read.LayerSizes);
        Assert.Equal(mlp.Model.Activation, read.Activation);
        Assert.Equal(mlp.Model.ClassNames, read.ClassNames);
        Assert.Equal(mlp.Model.Task, read.Task);
        Assert.Equal(mlp.Model.GetParameters().Select(BitConverter.SingleToInt32Bits), read.GetParameters().Select(BitConverter.SingleToInt32Bits));
    }

    private static double MaxDeviation(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r].Length, actual[r].Length);
            for (int c = 0; c < expected[r].Length; c++)
                max = Math.Max(max, Math.Abs((double)expected[r][c] - actual[r][c]));
        }
        return max;
    }

    private static float[][] FloatRows(JsonElement rows) => rows.EnumerateArray().Select(Floats).ToArray();

    private static float[] Floats(JsonElement values) => values.EnumerateArray().Select(Float).ToArray();

    private static float Float(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? float.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetSingle();

    private static string[] Strings(JsonElement values) => values.EnumerateArray().Select(e => e.GetString()!).ToArray();
}
