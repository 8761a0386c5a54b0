using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAdam.Tests.Persistence;
using Xunit;

namespace MLNetAdam.Tests.Training;

/// <summary>Options.NormalizeFeatures: standardize inside the trainer, then fold the map into the first layer.</summary>
public sealed class FeatureScalingTests
{
    private sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(5)]
        public float[] Features { get; set; } = [];
    }

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }

    // Blobs whose features have very different offsets and scales (and one constant feature), as raw tabular data has.
    // (Folding the scaling into float weights costs about float precision × |mean| / std in the logits, so offsets
    // stay within ten standard deviations here, as in most real features; wine's proline, for example, is at 2.4.)
    private static readonly float[] Offsets = [10f, -5f, 0.03f, 0f, 7f];
    private static readonly float[] Scales = [1f, 100f, 0.01f, 5f, 0f];

    private static List<Row> RawRows(int perClass, int seed) =>
        SyntheticData.Blobs(perClass, seed).Select(r => new Row
        {
            Label = r.Label,
            Features = Enumerable.Range(0, 5).Select(d => Offsets[d] + Scales[d] * (d < 4 ? r.Features[d] : 1f)).ToArray(),
        }).ToList();

    private static IDataView Keyed(MLContext ml, IEnumerable<Row> rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private static AdamMlpTrainer.Options Options(bool normalize) => new()
    {
        HiddenLayerSizes = [8],
        Optimizer = new AdamOptimizer { LearningRate = 0.02f },
        BatchSize = 16,
        NumberOfEpochs = 10,
        EarlyStopping = null,
        NormalizeFeatures = normalize,
        Seed = 4,
    };

    private static float[][] Scores(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<ScoreRow>(model.Transform(data), reuseRowObject: false).Select(r => r.Score).ToArray();

    private static void AssertClose(float[][] expected, float[][] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int r = 0; r < expected.Length; r++)
            for (int c = 0; c < expected[r].Length; c++)
                worst = Math.Max(worst, Math.Abs(expected[r][c] - actual[r][c]));
        Assert.True(worst <= tolerance, $"largest score difference {worst:G3}");
    }

    [Fact]
    public void NormalizeFeaturesScoresAsAnExplicitCenteredScalingPipeline()
    {
        var rows = RawRows(40, 1);
        // The explicit pipeline: population mean and standard deviation in double, x' = (x − mean) · (1 / std) in
        // float, a constant feature left alone.
        var shift = new float[5];
        var factor = new float[5];
        for (int d = 0; d < 5; d++)
        {
            double mean = rows.Average(r => (double)r.Features[d]);
            double std = Math.Sqrt(rows.Average(r => ((double)r.Features[d] - mean) * ((double)r.Features[d] - mean)));
            (shift[d], factor[d]) = std > 1e-6 * Math.Max(1, Math.Abs(mean)) ? ((float)mean, (float)(1 / std)) : (0f, 1f);
        }
        var scaled = rows.Select(r => new Row { Label = r.Label, Features = r.Features.Select((x, d) => (x - shift[d]) * factor[d]).ToArray() }).ToList();

        var ml = new MLContext(seed: 1);
        var raw = Keyed(ml, rows);
        var inside = new AdamMlpTrainer(ml, Options(normalize: true)).Fit(raw);
        var explicitPipeline = new AdamMlpTrainer(ml, Options(normalize: false)).Fit(Keyed(ml, scaled));
        AssertClose(Scores(ml, explicitPipeline, Keyed(ml, scaled)), Scores(ml, inside, raw), 1e-5);

        // Without scaling the same raw data trains far worse: the option matters here.
        var unscaled = new AdamMlpTrainer(ml, Options(normalize: false)).Fit(raw);
        double Accuracy(ITransformer m) => ml.MulticlassClassification.Evaluate(m.Transform(raw)).MicroAccuracy;
        Assert.True(Accuracy(inside) > Accuracy(unscaled) + 0.1, $"scaled {Accuracy(inside):F3}, unscaled {Accuracy(unscaled):F3}");
    }

    [Fact]
    public void TheExportedOnnxModelAndASavedZipScoreRawFeatures()
    {
        var ml = new MLContext(seed: 1);
        var raw = Keyed(ml, RawRows(30, 2));
        var model = new AdamMlpTrainer(ml, Options(normalize: true)).Fit(raw);
        var expected = Scores(ml, model, raw);

        var features = RawRows(30, 2).SelectMany(r => r.Features).ToArray();
        var (probabilities, _) = OnnxExportTests.RunOnnx(OnnxExportTests.Export(model), features, expected.Length, 5);
        AssertClose(expected, expected.Select((_, r) => probabilities.AsSpan(r * 3, 3).ToArray()).ToArray(), 1e-5);

        using var stream = new MemoryStream();
        ml.Model.Save(model, raw.Schema, stream);
        stream.Position = 0;
        AssertClose(expected, Scores(ml, ml.Model.Load(stream, out _), raw), 1e-5);
    }

    [Fact]
    public void AWarmStartFromARawFeatureModelContinuesWhereItWas()
    {
        // Fold then unfold: an (almost) zero-step continuation scores as the model it started from.
        var ml = new MLContext(seed: 1);
        var raw = Keyed(ml, RawRows(30, 3));
        var first = new AdamMlpTrainer(ml, Options(normalize: true)).Fit(raw);
        var options = Options(normalize: true);
        options.Optimizer = new SgdOptimizer { LearningRate = 1e-12f };
        options.NumberOfEpochs = 1;
        var continued = new AdamMlpTrainer(ml, options).Fit(raw, first.Model);
        AssertClose(Scores(ml, first, raw), Scores(ml, continued, raw), 1e-5);
    }

    [Fact]
    public void SparseFeaturesAreScaledWithoutCenteringAndStaySparse()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticData.Sparse(200, seed: 6);
        var data = SyntheticData.KeyLabels(ml, ml.Data.LoadFromEnumerable(rows));
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.Message);
        var model = new AdamMlpTrainer(ml, Options(normalize: true)).Fit(data);
        Assert.Contains(messages, m => m.Contains("(sparse), features standardized", StringComparison.Ordinal));

        // The scaling of sparse rows shifts nothing and divides by the largest absolute value, so every zero stays zero.
        var csr = TrainingData.FromSparse([0, 2, 3, 4], [0, 2, 2, 1], [1f, 3f, 5f, 2f], 3, 2, [0, 1, 0], null);
        var scaling = FeatureScaling.Of(csr);
        Assert.All(scaling.Shift, s => Assert.Equal(0f, s));
        scaling.Apply(csr);
        Assert.Equal([0, 2, 2, 1], csr.Indices!);
        Assert.Equal([1f, 0.5f, 0.2f], scaling.Factor);
        Assert.Equal([1f, 0.6f, 1f, 1f], csr.Values!);
        Assert.True(ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy > 0.9);
    }
}
