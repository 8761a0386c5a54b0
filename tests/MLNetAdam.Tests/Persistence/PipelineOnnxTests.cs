using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Text;
using Xunit;
using Xunit.Abstractions;

namespace MLNetAdam.Tests.Persistence;

/// <summary>Whole pipelines to one ONNX model: ML.NET's transforms, then the network, checked with ONNX Runtime against Transform.</summary>
public sealed class PipelineOnnxTests(ITestOutputHelper output)
{
    public sealed class Row
    {
        public float A { get; set; }
        public float B { get; set; }
        public float C { get; set; }
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }

    private static List<Row> Rows()
    {
        var random = new Random(5);
        string[] words = ["red apple", "green leaf", "blue sky", "red wine", "green tea", "blue sea"];
        return Enumerable.Range(0, 150).Select(i =>
        {
            int c = i % 3;
            return new Row
            {
                A = (float)(random.NextDouble() + c * 10),
                B = (float)(random.NextDouble() * 100 - c),
                C = (float)random.NextDouble(),
                Text = words[c + 3 * (i % 2)] + (i % 5 == 0 ? " today" : ""),
                Label = ((char)('x' + c)).ToString(),
            };
        }).ToList();
    }

    // Runs the exported model on each row's raw columns (every input a [1, 1] tensor: ML.NET's export of text
    // featurization reads one document per run) and compares with Transform's Score.
    private void Check(MLContext ml, ITransformer model, List<Row> rows, byte[] onnx)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        var expected = ml.Data.CreateEnumerable<ScoreRow>(model.Transform(data), reuseRowObject: false).Select(r => r.Score).ToArray();
        using var session = new InferenceSession(onnx);
        using var runOptions = new RunOptions();
        double worst = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            var names = new List<string>();
            var inputs = new List<OrtValue>();
            try
            {
                foreach (var (name, meta) in session.InputMetadata)
                {
                    names.Add(name);
                    object value = typeof(Row).GetProperty(name)?.GetValue(rows[r]) ?? throw new InvalidOperationException($"Unexpected input {name}.");
                    inputs.Add(meta.ElementType == typeof(string)
                        ? OrtValue.CreateFromStringTensor(new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<string>(new[] { (string)value }, [1, 1]))
                        : OrtValue.CreateTensorValueFromMemory(new[] { (float)value }, [1, 1]));
                }
                using var outputs = session.Run(runOptions, names, inputs, ["probabilities", "label"]);
                var probabilities = outputs[0].GetTensorDataAsSpan<float>();
                for (int c = 0; c < expected[r].Length; c++)
                    worst = Math.Max(worst, Math.Abs(probabilities[c] - expected[r][c]));
                Assert.Equal(Array.IndexOf(expected[r], expected[r].Max()), outputs[1].GetTensorDataAsSpan<long>()[0]);
            }
            finally
            {
                foreach (var input in inputs)
                    input.Dispose();
            }
        }
        output.WriteLine($"largest difference from Transform: {worst:G3}");
        Assert.True(worst <= 1e-5, $"largest difference {worst:G3}");
    }

    public sealed class ValueRow
    {
        public float A { get; set; }
        public float B { get; set; }
        public float Label { get; set; }
    }

    [Fact]
    public void ARegressionPipelineExportsAsOneModelWithAnIdentityOutput()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 150).Select(_ =>
        {
            float a = (float)(random.NextDouble() * 10), b = (float)(random.NextDouble() * 100);
            return new ValueRow { A = a, B = b, Label = 50 + 3 * a - 0.2f * b + (float)random.NextDouble() };
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Concatenate("Features", "A", "B")
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.Regression.Trainers.AdamMlp(new AdamMlpRegressionTrainer.Options { HiddenLayerSizes = [8], NumberOfEpochs = 30, BatchSize = 16 }))
            .Fit(data);
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnxWithAdamMlp(model, data, stream);
        var expected = model.Transform(data).GetColumn<float>("Score").ToArray();

        using var session = new InferenceSession(stream.ToArray());
        using var runOptions = new RunOptions();
        double worst = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            using var a = OrtValue.CreateTensorValueFromMemory(new[] { rows[r].A }, [1, 1]);
            using var b = OrtValue.CreateTensorValueFromMemory(new[] { rows[r].B }, [1, 1]);
            var inputs = session.InputMetadata.Keys.ToArray();
            using var outputs = session.Run(runOptions, inputs, inputs.Select(n => n == "A" ? a : b).ToArray(), [OnnxExporter.ScoreName]);
            worst = Math.Max(worst, Math.Abs(outputs[0].GetTensorDataAsSpan<float>()[0] - expected[r]) / Math.Max(1, Math.Abs(expected[r])));
        }
        output.WriteLine($"largest relative difference from Transform: {worst:G3}");
        Assert.True(worst <= 1e-5, $"largest difference {worst:G3}");
    }

    [Fact]
    public void ANormalizerPipelineExportsAsOneModel()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "A", "B", "C"))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.AdamMlp(new AdamMlpTrainer.Options { HiddenLayerSizes = [8], NumberOfEpochs = 30, BatchSize = 16 }))
            .Fit(data);
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnxWithAdamMlp(model, data, stream);
        Check(ml, model, rows, stream.ToArray());
    }

    [Fact]
    public void AFeaturizeTextPipelineExportsWhenMLNetCanExportItsText()
    {
        // ML.NET 5.0.1's converter fails on FeaturizeText's default text normalizer (a KeyNotFoundException inside
        // ConvertToOnnx); word n-grams on text kept as it is export, and the network follows them.
        var ml = new MLContext(seed: 1);
        var rows = Rows();
        var data = ml.Data.LoadFromEnumerable(rows);
        var text = new TextFeaturizingEstimator.Options
        {
            CaseMode = TextNormalizingEstimator.CaseMode.None,
            KeepDiacritics = true,
            KeepPunctuations = true,
            KeepNumbers = true,
            CharFeatureExtractor = null,
        };
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Text.FeaturizeText("Features", text, "Text"))
            .Append(ml.MulticlassClassification.Trainers.AdamMlp(new AdamMlpTrainer.Options { HiddenLayerSizes = [8], NumberOfEpochs = 30, BatchSize = 16 }))
            .Fit(data);
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnxWithAdamMlp(model, data, stream);
        Check(ml, model, rows, stream.ToArray());

        var defaults = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Text.FeaturizeText("Features", "Text"))
            .Append(ml.MulticlassClassification.Trainers.AdamMlp(new AdamMlpTrainer.Options { HiddenLayerSizes = [8], NumberOfEpochs = 5 }))
            .Fit(data);
        var e = Assert.Throws<InvalidOperationException>(() => ml.Model.ConvertToOnnxWithAdamMlp(defaults, data, new MemoryStream()));
        Assert.Contains("ConvertToOnnx could not export", e.Message);
    }
}
