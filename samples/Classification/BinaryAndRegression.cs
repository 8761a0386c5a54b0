using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAdam.Training;

namespace Classification;

/// <summary>
/// The two other heads of the same engine, each on a small real data set the sample ships (as scikit-learn
/// distributes them): a binary classifier on the Wisconsin breast cancer data (569 tumours, 30 measurements, benign
/// or malignant) and a regressor on the diabetes data (442 patients, 10 measurements, disease progression after a
/// year). Both use the trainers' defaults on raw features, as a user's first run would.
/// </summary>
public static class BinaryAndRegression
{
    public sealed class Tumour
    {
        [LoadColumn(0, 29), VectorType(30)]
        public float[] Measurements { get; set; } = [];

        // 1 = benign, 0 = malignant in the file; loaded as a Boolean label.
        [LoadColumn(30)]
        public bool Label { get; set; }
    }

    public sealed class TumourPrediction
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    public sealed class Patient
    {
        [LoadColumn(0, 9), VectorType(10)]
        public float[] Measurements { get; set; } = [];

        [LoadColumn(10)]
        public float Label { get; set; }
    }

    public static int RunBinary(MLContext mlContext)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Data", "breast_cancer.csv");
        var split = mlContext.Data.TrainTestSplit(mlContext.Data.LoadFromTextFile<Tumour>(path, separatorChar: ','), testFraction: 0.2, seed: 1);

        // A Boolean label and a feature vector: the binary trainer adds Score (the logit), Probability and PredictedLabel,
        // the columns of ML.NET's own calibrated binary classifiers.
        var pipeline = mlContext.Transforms.Concatenate("Features", nameof(Tumour.Measurements))
            .Append(mlContext.BinaryClassification.Trainers.AdamMlp());
        var model = pipeline.Fit(split.TrainSet);
        var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(split.TestSet));
        Console.WriteLine($"Breast cancer, 30 inputs → 100 hidden → 1 logit, {model.LastTransformer.Model.TrainingHistory.Count} epochs:");
        Console.WriteLine($"  test AUC {metrics.AreaUnderRocCurve:F4}, accuracy {metrics.Accuracy:F4}, F1 {metrics.F1Score:F4}, log-loss {metrics.LogLoss:F4}");
        Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

        // Save with ML.NET's Model.Save and load it back: the same AUC.
        string modelPath = Path.Combine(Path.GetTempPath(), $"breast-cancer-{Guid.NewGuid():N}.zip");
        try
        {
            mlContext.Model.Save(model, split.TrainSet.Schema, modelPath);
            var loaded = mlContext.Model.Load(modelPath, out _);
            double auc = mlContext.BinaryClassification.Evaluate(loaded.Transform(split.TestSet)).AreaUnderRocCurve;
            Console.WriteLine($"  after Model.Save and Model.Load: test AUC {auc:F4}");
        }
        finally
        {
            File.Delete(modelPath);
        }

        var engine = mlContext.Model.CreatePredictionEngine<Tumour, TumourPrediction>(model);
        var first = mlContext.Data.CreateEnumerable<Tumour>(split.TestSet, reuseRowObject: false).First();
        var prediction = engine.Predict(first);
        Console.WriteLine($"  first test tumour: P(benign) = {prediction.Probability:F3}, predicted {(prediction.PredictedLabel ? "benign" : "malignant")}, actually {(first.Label ? "benign" : "malignant")}");
        return 0;
    }

    public static int RunRegression(MLContext mlContext)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Data", "diabetes.csv");
        var data = mlContext.Data.LoadFromTextFile<Patient>(path, separatorChar: ',', hasHeader: true);

        // The label (25 to 346) is standardized inside the trainer and the map folded back, so Score is in its units.
        var mlp = mlContext.Transforms.Concatenate("Features", nameof(Patient.Measurements))
            .Append(mlContext.Regression.Trainers.AdamMlp());
        var sdca = mlContext.Transforms.Concatenate("Features", nameof(Patient.Measurements))
            .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
            .Append(mlContext.Regression.Trainers.Sdca());
        Console.WriteLine("Diabetes progression, 10 inputs → 100 hidden → 1 output, 5-fold cross-validation:");
        foreach (var (name, estimator) in new (string, IEstimator<ITransformer>)[] { ("AdamMlp (defaults)", mlp), ("ML.NET SDCA (linear)", sdca) })
        {
            var folds = mlContext.Regression.CrossValidate(data, estimator, numberOfFolds: 5, seed: 1);
            Console.WriteLine($"  {name,-22} R² {folds.Average(f => f.Metrics.RSquared):F4}, MAE {folds.Average(f => f.Metrics.MeanAbsoluteError):F1}, RMSE {folds.Average(f => f.Metrics.RootMeanSquaredError):F1}");
        }
        return 0;
    }
}
