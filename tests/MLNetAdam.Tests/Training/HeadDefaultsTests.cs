using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace MLNetAdam.Tests.Training;

/// <summary>
/// The binary and regression trainers with their defaults on raw features of real data the project ships, 5-fold
/// cross-validation over five seeds, against scikit-learn's <c>MLPClassifier()</c> and <c>MLPRegressor()</c> on
/// standardized features.
/// </summary>
/// <remarks>
/// scikit-learn 1.2.1 (Debian 12's python3-sklearn), measured once with the same files: for s = 0..4,
/// <c>StratifiedKFold(5, shuffle=True, random_state=s)</c> (<c>KFold</c> for regression), a <c>StandardScaler</c>
/// fitted on each training part, then the model with <c>random_state=s</c>, scored on the held-out part; the figure is
/// the mean over the 25 folds.
/// <list type="bullet">
/// <item>Breast cancer (569 rows, 30 features, positive class = label 1, benign): <c>MLPClassifier()</c> AUC 0.9947.</item>
/// <item>Diabetes (442 rows, 10 features, target 25–346, unscaled as scikit-learn's <c>load_diabetes(scaled=False)</c>):
/// <c>MLPRegressor()</c> R² −1.0138 (its 200 iterations cannot reach a target of that scale, it does not standardize
/// it); <c>MLPRegressor(max_iter=2000)</c> R² 0.4544; <c>LinearRegression()</c> R² 0.4819. The test holds us to the
/// stronger 0.4544, not the default's −1.01, which any model would beat.</item>
/// </list>
/// </remarks>
public sealed class HeadDefaultsTests(ITestOutputHelper output)
{
    private const double ScikitLearnBreastCancerAuc = 0.9947;
    private const double ScikitLearnDiabetesRSquared = 0.4544;

    public sealed class BreastCancerRow
    {
        [LoadColumn(0, 29), VectorType(30)]
        public float[] Measurements { get; set; } = [];

        [LoadColumn(30)]
        public bool Label { get; set; }
    }

    public sealed class DiabetesRow
    {
        [LoadColumn(0, 9), VectorType(10)]
        public float[] Measurements { get; set; } = [];

        [LoadColumn(10)]
        public float Label { get; set; }
    }

    private static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    [Fact]
    public void BinaryDefaultsOnRawBreastCancerDataReachScikitLearnsAuc()
    {
        var aucs = new List<double>();
        for (int seed = 0; seed < 5; seed++)
        {
            var ml = new MLContext(seed: seed);
            var data = ml.Data.LoadFromTextFile<BreastCancerRow>(DataFile("breast_cancer.csv"), separatorChar: ',');
            var pipeline = ml.Transforms.Concatenate("Features", "Measurements").Append(ml.BinaryClassification.Trainers.AdamMlp());
            var folds = ml.BinaryClassification.CrossValidate(data, pipeline, numberOfFolds: 5, seed: seed);
            aucs.Add(folds.Average(f => f.Metrics.AreaUnderRocCurve));
        }
        output.WriteLine($"breast cancer AUC: {string.Join(", ", aucs.Select(a => a.ToString("F4")))} (mean {aucs.Average():F4}; scikit-learn {ScikitLearnBreastCancerAuc})");
        Assert.True(aucs.Average() >= ScikitLearnBreastCancerAuc - 0.01, $"AUC {aucs.Average():F4} vs scikit-learn {ScikitLearnBreastCancerAuc}");
    }

    [Fact]
    public void RegressionDefaultsOnRawDiabetesDataReachScikitLearnsRSquared()
    {
        var r2 = new List<double>();
        for (int seed = 0; seed < 5; seed++)
        {
            var ml = new MLContext(seed: seed);
            var data = ml.Data.LoadFromTextFile<DiabetesRow>(DataFile("diabetes.csv"), separatorChar: ',', hasHeader: true);
            var pipeline = ml.Transforms.Concatenate("Features", "Measurements").Append(ml.Regression.Trainers.AdamMlp());
            var folds = ml.Regression.CrossValidate(data, pipeline, numberOfFolds: 5, seed: seed);
            r2.Add(folds.Average(f => f.Metrics.RSquared));
        }
        output.WriteLine($"diabetes R²: {string.Join(", ", r2.Select(a => a.ToString("F4")))} (mean {r2.Average():F4}; scikit-learn {ScikitLearnDiabetesRSquared})");
        Assert.True(r2.Average() >= ScikitLearnDiabetesRSquared - 0.03, $"R² {r2.Average():F4} vs scikit-learn {ScikitLearnDiabetesRSquared}");
    }
}
