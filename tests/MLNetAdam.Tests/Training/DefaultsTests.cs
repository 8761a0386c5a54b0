using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace MLNetAdam.Tests.Training;

/// <summary>
/// Right on a user's own data the first time: <c>MapValueToKey</c>, <c>Concatenate</c> and the trainer with its defaults
/// on raw features, 5-fold cross-validation, against scikit-learn's <c>MLPClassifier()</c> defaults on standardized
/// features.
/// </summary>
/// <remarks>
/// scikit-learn's figures were measured once (scikit-learn 1.2.1, Debian 12's python3-sklearn) with
/// <c>cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(random_state=s)), X, y,
/// cv=StratifiedKFold(5, shuffle=True, random_state=s))</c>, averaged over s = 0..4: digits 0.9787, wine 0.9731,
/// iris 0.9453, breast cancer 0.9740. The data sets are the same files scikit-learn ships (UCI, CC BY 4.0).
/// ML.NET's folds differ from scikit-learn's, so the mean here is also taken over five seeds.
/// </remarks>
public sealed class DefaultsTests(ITestOutputHelper output)
{
    private const double ScikitLearnDigits = 0.9787;
    private const double ScikitLearnWine = 0.9731;
    private const double ScikitLearnIris = 0.9453;
    private const double ScikitLearnBreastCancer = 0.9740;

    public sealed class WineRow
    {
        [LoadColumn(0, 12), VectorType(13)]
        public float[] Measurements { get; set; } = [];

        [LoadColumn(13)]
        public float Label { get; set; }
    }

    public sealed class BreastCancerRow
    {
        [LoadColumn(0, 29), VectorType(30)]
        public float[] Measurements { get; set; } = [];

        [LoadColumn(30)]
        public float Label { get; set; }
    }

    public sealed class IrisRow
    {
        [LoadColumn(0, 3), VectorType(4)]
        public float[] Measurements { get; set; } = [];

        [LoadColumn(4)]
        public float Label { get; set; }
    }

    private double CrossValidatedAccuracy(Func<MLContext, IDataView> load, string featureColumn, string what)
    {
        var accuracies = new List<double>();
        for (int seed = 0; seed < 5; seed++)
        {
            var ml = new MLContext(seed: seed);
            var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.Transforms.Concatenate("Features", featureColumn))
                .Append(new AdamMlpTrainer(ml));
            var folds = ml.MulticlassClassification.CrossValidate(load(ml), pipeline, numberOfFolds: 5, seed: seed);
            accuracies.Add(folds.Average(f => f.Metrics.MicroAccuracy));
        }
        output.WriteLine($"{what}: {string.Join(", ", accuracies.Select(a => a.ToString("F4")))} (mean {accuracies.Average():F4})");
        return accuracies.Average();
    }

    [Fact]
    public void DefaultsOnRawDigitsComeWithinAPointOfScikitLearn()
    {
        double accuracy = CrossValidatedAccuracy(Digits.Load, "Pixels", "digits");
        Assert.True(accuracy >= ScikitLearnDigits - 0.01, $"digits: {accuracy:F4} vs scikit-learn {ScikitLearnDigits}");
    }

    [Fact]
    public void DefaultsOnRawWineComeWithinAPointOfScikitLearn()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "wine.csv");
        double accuracy = CrossValidatedAccuracy(ml => ml.Data.LoadFromTextFile<WineRow>(path, separatorChar: ','), "Measurements", "wine");
        Assert.True(accuracy >= ScikitLearnWine - 0.01, $"wine: {accuracy:F4} vs scikit-learn {ScikitLearnWine}");
    }

    [Fact]
    public void DefaultsOnRawIrisComeWithinAPointOfScikitLearn()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "iris.csv");
        double accuracy = CrossValidatedAccuracy(ml => ml.Data.LoadFromTextFile<IrisRow>(path, separatorChar: ','), "Measurements", "iris");
        Assert.True(accuracy >= ScikitLearnIris - 0.01, $"iris: {accuracy:F4} vs scikit-learn {ScikitLearnIris}");
    }

    [Fact]
    public void DefaultsOnRawBreastCancerDataComeWithinAPointOfScikitLearn()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "breast_cancer.csv");
        double accuracy = CrossValidatedAccuracy(ml => ml.Data.LoadFromTextFile<BreastCancerRow>(path, separatorChar: ','), "Measurements", "breast cancer");
        Assert.True(accuracy >= ScikitLearnBreastCancer - 0.01, $"breast cancer: {accuracy:F4} vs scikit-learn {ScikitLearnBreastCancer}");
    }
}
