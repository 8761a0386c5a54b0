using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class InputValidationTests
{
    private sealed class FloatLabelRow
    {
        public float Label { get; set; }

        [VectorType(2)]
        public float[] Features { get; set; } = [];
    }

    private sealed class ScalarFeatureRow
    {
        public string Label { get; set; } = "";

        public float Features { get; set; }
    }

    private sealed class VariableFeatureRow
    {
        public string Label { get; set; } = "";

        public float[] Features { get; set; } = [];
    }

    private sealed class DoubleFeatureRow
    {
        public string Label { get; set; } = "";

        [VectorType(2)]
        public double[] Features { get; set; } = [];
    }

    private sealed class OtherNameRow
    {
        public string Label { get; set; } = "";

        [VectorType(2)]
        public float[] Pixels { get; set; } = [];
    }

    private static readonly MLContext Ml = new(seed: 1);

    private static IDataView Keyed<T>(IEnumerable<T> rows)
        where T : class
    {
        var data = Ml.Data.LoadFromEnumerable(rows);
        return data.Schema["Label"].Type is KeyDataViewType || data.Schema["Label"].Type is not TextDataViewType
            ? data
            : Ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private static Exception FitFails(IDataView data, AdamMlpTrainer.Options? options = null) =>
        Assert.ThrowsAny<Exception>(() => new AdamMlpTrainer(Ml, options ?? new AdamMlpTrainer.Options { NumberOfEpochs = 1 }).Fit(data));

    [Fact]
    public void LabelThatIsNotAKeyNamesTheColumnAndTheFix()
    {
        var data = Ml.Data.LoadFromEnumerable(new[] { new FloatLabelRow { Label = 1, Features = [1, 2] } });
        var e = FitFails(data);
        Assert.IsType<ArgumentException>(e);
        Assert.Contains("'Label'", e.Message);
        Assert.Contains("MapValueToKey", e.Message);

        // The same check runs before training in a pipeline (EstimatorChain asks GetOutputSchema first).
        var shapeError = Assert.ThrowsAny<ArgumentException>(() => new AdamMlpTrainer(Ml).GetOutputSchema(SchemaShapes.Of(Ml, data)));
        Assert.Contains("MapValueToKey", shapeError.Message);
    }

    [Fact]
    public void MissingFeatureColumnIsNamed()
    {
        var e = FitFails(Keyed(new[] { new OtherNameRow { Label = "a", Pixels = [1, 2] }, new OtherNameRow { Label = "b", Pixels = [2, 1] } }));
        Assert.Contains("Feature column 'Features' was not found", e.Message);
    }

    [Fact]
    public void ScalarFeatureColumnIsRejected()
    {
        var e = FitFails(Keyed(new[] { new ScalarFeatureRow { Label = "a", Features = 1 }, new ScalarFeatureRow { Label = "b", Features = 2 } }));
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("vector of Single", e.Message);
    }

    [Fact]
    public void VariableSizeFeatureColumnIsRejected()
    {
        var e = FitFails(Keyed(new[] { new VariableFeatureRow { Label = "a", Features = [1] }, new VariableFeatureRow { Label = "b", Features = [1, 2] } }));
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("variable size", e.Message);
    }

    [Fact]
    public void NonSingleFeatureColumnIsRejected()
    {
        var e = FitFails(Keyed(new[] { new DoubleFeatureRow { Label = "a", Features = [1, 2] }, new DoubleFeatureRow { Label = "b", Features = [2, 1] } }));
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("Double", e.Message);
    }

    [Fact]
    public void EmptyDataIsRejected()
    {
        var schemaSource = Keyed(SyntheticData.Blobs(1, 1));
        var empty = Ml.Data.FilterRowsByColumn(schemaSource, "Weight", lowerBound: 100, upperBound: 200);
        var e = FitFails(empty);
        Assert.IsType<InvalidOperationException>(e);
        Assert.Contains("no rows", e.Message);
    }

    [Fact]
    public void DataWhoseRowsAreAllInvalidIsRejected()
    {
        var rows = SyntheticData.Blobs(3, 1);
        foreach (var row in rows)
            row.Features[0] = float.NaN;
        var e = FitFails(Keyed(rows));
        Assert.IsType<InvalidOperationException>(e);
        Assert.Contains("No usable training rows", e.Message);
        Assert.Contains("'Features'", e.Message);
    }

    [Fact]
    public void MissingWeightColumnIsNamed()
    {
        var e = FitFails(Keyed(SyntheticData.Blobs(3, 1)), new AdamMlpTrainer.Options { ExampleWeightColumnName = "Importance" });
        Assert.Contains("'Importance'", e.Message);
    }

    public static TheoryData<string, Action<AdamMlpTrainer.Options>> InvalidOptions => new()
    {
        { "BatchSize", o => o.BatchSize = 0 },
        { "BatchSize", o => o.BatchSize = -5 },
        { "NumberOfEpochs", o => o.NumberOfEpochs = 0 },
        { "HiddenLayerSizes", o => o.HiddenLayerSizes = [10, 0] },
        { "HiddenLayerSizes", o => o.HiddenLayerSizes = [-1] },
        { "L2Regularization", o => o.L2Regularization = -1 },
        { "L2Regularization", o => o.L2Regularization = float.NaN },
        { "LearningRate", o => o.Optimizer = new AdamOptimizer { LearningRate = 0 } },
        { "LearningRate", o => o.Optimizer = new AdamOptimizer { LearningRate = -1e-3f } },
        { "LearningRate", o => o.Optimizer = new AdamOptimizer { LearningRate = float.NaN } },
        { "Beta1", o => o.Optimizer = new AdamOptimizer { Beta1 = 1f } },
        { "Beta1", o => o.Optimizer = new AdamOptimizer { Beta1 = -0.1f } },
        { "Beta2", o => o.Optimizer = new AdamOptimizer { Beta2 = 1.5f } },
        { "Epsilon", o => o.Optimizer = new AdamOptimizer { Epsilon = 0 } },
        { "WeightDecay", o => o.Optimizer = new AdamOptimizer { WeightDecay = -1 } },
        { "Activation", o => o.Activation = (MLNetAdam.Model.MlpActivation)99 },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptionsThrowNamingTheOption(string option, Action<AdamMlpTrainer.Options> spoil)
    {
        var options = new AdamMlpTrainer.Options();
        spoil(options);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpTrainer(Ml, options));
        Assert.Equal(option, e.ParamName);
        Assert.Contains(option, e.Message);

        // Options changed after construction are checked again by Fit.
        var later = new AdamMlpTrainer.Options();
        var trainer = new AdamMlpTrainer(Ml, later);
        spoil(later);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(Keyed(SyntheticData.Blobs(3, 1))));
        Assert.Equal(option, e2.ParamName);
    }

    [Fact]
    public void ScoringDataWithTheWrongFeatureSizeIsRejected()
    {
        var model = new AdamMlpTrainer(Ml, new AdamMlpTrainer.Options { NumberOfEpochs = 1 }).Fit(Keyed(SyntheticData.Blobs(5, 1)));
        var narrow = Ml.Data.LoadFromEnumerable(new[] { new FloatLabelRow { Label = 1, Features = [1, 2] } });
        var e = Assert.ThrowsAny<ArgumentException>(() => model.Transform(narrow));
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("4", e.Message);
    }

    /// <summary>An optimizer that blows up on its third step, as a far too large learning rate can.</summary>
    private sealed class ExplodingOptimizer : StochasticOptimizer
    {
        public override float LearningRate { get; set; } = 0.1f;

        public override void Validate()
        {
        }

        public override OptimizerState CreateState(int parameterCount) => new AdamState(0, false);

        public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState state, float learningRate)
        {
            if (++state.StepCount == 3)
                parameters.Fill(float.PositiveInfinity);
        }
    }

    [Fact]
    public void DivergenceIsReportedNotHidden()
    {
        var options = new AdamMlpTrainer.Options { NumberOfEpochs = 3, BatchSize = 10, Optimizer = new ExplodingOptimizer() };
        var e = FitFails(Keyed(SyntheticData.Blobs(10, 1)), options);
        Assert.IsType<InvalidOperationException>(e);
        Assert.Contains("diverged", e.Message);
        // 30 rows in batches of 10: the weights are checked after every epoch, so the blow-up in epoch 1 is caught
        // there, before another loss is evaluated.
        Assert.Contains("in epoch 1", e.Message);
        Assert.Contains("LearningRate", e.Message);
    }
}
