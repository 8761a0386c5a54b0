using Microsoft.ML;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class ValidationTests
{
    private static TrainingData Rows(int[] perClass)
    {
        var labels = perClass.SelectMany((n, c) => Enumerable.Repeat(c, n)).ToArray();
        var features = labels.Select((l, i) => (float)i).ToArray();
        return TrainingData.FromDense(features, 1, perClass.Length, labels, null);
    }

    [Fact]
    public void TheSplitIsStratifiedAndReproducible()
    {
        var data = Rows([50, 30, 20]);
        var (train, validation) = ValidationSplit.Split(data, 0.2, seed: 5);
        Assert.Equal(100, train.RowCount + validation.RowCount);
        // Each class contributes its share: 10, 6 and 4 rows.
        Assert.Equal([10, 6, 4], Enumerable.Range(0, 3).Select(c => validation.Labels.Count(l => l == c)));
        // No row is in both, and the original values travel with their rows.
        var held = validation.Labels.Select((_, r) => validation.DenseRow(r)[0]).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, train.RowCount).Select(r => train.DenseRow(r)[0]), held.Contains);

        var again = ValidationSplit.Split(data, 0.2, seed: 5).Validation;
        Assert.Equal(Values(validation), Values(again));
        var other = ValidationSplit.Split(data, 0.2, seed: 6).Validation;
        Assert.NotEqual(Values(validation), Values(other));
    }

    private static float[] Values(TrainingData data) => Enumerable.Range(0, data.RowCount).Select(r => data.DenseRow(r)[0]).ToArray();

    [Fact]
    public void HistoryRecordsFiniteValidationLossAndAccuracyEveryEpoch()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(40, 2));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [8],
            Optimizer = new AdamOptimizer { LearningRate = 0.02f },
            NumberOfEpochs = 12,
            BatchSize = 16,
            EarlyStopping = null,
            ValidationFraction = 0.25f,
            Seed = 1,
        }).Fit(data).Model;
        Assert.Equal(12, model.TrainingHistory.Count);
        Assert.All(model.TrainingHistory, h =>
        {
            Assert.True(double.IsFinite(h.ValidationLoss!.Value));
            Assert.InRange(h.ValidationAccuracy!.Value, 0, 1);
        });
        Assert.True(model.TrainingHistory[^1].ValidationAccuracy >= 0.85, $"validation accuracy {model.TrainingHistory[^1].ValidationAccuracy}");
    }
}
