using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MLNetAdam.Tests.Training;

public sealed class ClassWeightsTests
{
    [Fact]
    public void BalancedWeighsEachClassByRowsOverClassesTimesItsCount()
    {
        // 100 rows: 70, 20, 10 → 100/(3·70), 100/(3·20), 100/(3·10); an absent class gets 0 and does not count.
        var weights = ClassWeights.Balanced.For(["a", "b", "c", "d"], [70, 20, 10, 0]);
        Assert.Equal(100.0 / 210, weights[0], 6);
        Assert.Equal(100.0 / 60, weights[1], 6);
        Assert.Equal(100.0 / 30, weights[2], 6);
        Assert.Equal(0f, weights[3]);
        // Every present class then carries the same total weight.
        Assert.Equal(70 * weights[0], 10 * weights[2], 4);
    }

    [Fact]
    public void ExplicitWeightsAreKeyedByLabelValue()
    {
        var weights = ClassWeights.Explicit(new Dictionary<string, float> { ["dog"] = 3f }).For(["cat", "dog", "bird"], [1, 1, 1]);
        Assert.Equal([1f, 3f, 1f], weights);
        var unknown = Assert.Throws<ArgumentException>(() => ClassWeights.Explicit(new Dictionary<string, float> { ["cow"] = 2f }).For(["cat", "dog"], [1, 1]));
        Assert.Contains("'cow'", unknown.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassWeights.Explicit(new Dictionary<string, float> { ["cat"] = -1f }));
    }

    private sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(2)]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void BalancedWeightsRaiseTheMinorityClassRecall()
    {
        // Two overlapping classes, 95 % "common": unweighted training mostly predicts "common".
        var random = new Random(3);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var rows = Enumerable.Range(0, 2000).Select(i =>
        {
            bool rare = i % 20 == 0;
            return new Row { Label = rare ? "rare" : "common", Features = [(float)(Gaussian() + (rare ? 1.5 : 0)), (float)Gaussian()] };
        }).ToList();
        double RareRecall(ClassWeights? weights)
        {
            var ml = new MLContext(seed: 1);
            var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
            var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { HiddenLayerSizes = [8], NumberOfEpochs = 40, BatchSize = 64, ClassWeights = weights, Seed = 2 }).Fit(data);
            var scored = ml.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).ToList();
            var labels = ml.Data.CreateEnumerable<KeyRow>(data, reuseRowObject: false).Select(r => r.Label).ToList();
            uint rareKey = labels[0]; // row 0 is rare
            int rare = labels.Count(l => l == rareKey);
            int hit = scored.Where((p, i) => labels[i] == rareKey && p.PredictedLabel == rareKey).Count();
            return (double)hit / rare;
        }
        double plain = RareRecall(null), balanced = RareRecall(ClassWeights.Balanced);
        Assert.True(balanced > plain + 0.2, $"minority recall {plain:F3} unweighted, {balanced:F3} balanced");
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }
    }

    private sealed class KeyRow
    {
        public uint Label { get; set; }
    }
}
