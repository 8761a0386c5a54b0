using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace MLNetAdam.Tests.Training;

/// <summary>
/// The binary and regression trainers: the columns ML.NET's evaluators and tools need, the label checks, the target
/// standardization, and the engine's features (checkpoints, warm start, streaming, sparse rows) through each head.
/// </summary>
public sealed class BinaryAndRegressionTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnetadam-heads-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static AdamMlpBinaryTrainer.Options BinaryOptions(int epochs = 30) => new()
    {
        HiddenLayerSizes = [16],
        Optimizer = new AdamOptimizer { LearningRate = 0.01f },
        BatchSize = 32,
        NumberOfEpochs = epochs,
        Seed = 5,
        EarlyStopping = null,
    };

    private static AdamMlpRegressionTrainer.Options RegressionOptions(int epochs = 40) => new()
    {
        HiddenLayerSizes = [32],
        Optimizer = new AdamOptimizer { LearningRate = 0.01f },
        BatchSize = 32,
        NumberOfEpochs = epochs,
        Seed = 5,
        EarlyStopping = null,
    };

    [Fact]
    public void BinaryScoringAddsTheColumnsOfMLNetsCalibratedClassifiers()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(400, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(200, seed: 2));
        var trainer = new AdamMlpBinaryTrainer(ml, BinaryOptions());
        var model = trainer.Fit(train);
        var scored = model.Transform(test);

        Assert.Equal(MlpTask.BinaryClassification, model.Model.Task);
        Assert.Equal(["False", "True"], model.Model.ClassNames);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Probability"].Type);
        Assert.Equal(BooleanDataViewType.Instance, scored.Schema["PredictedLabel"].Type);
        Assert.Equal("BinaryClassification", Annotation(scored.Schema["Score"], "ScoreColumnKind"));
        Assert.Equal("Probability", Annotation(scored.Schema["Probability"], "ScoreValueKind"));
        Assert.Equal("PredictedLabel", Annotation(scored.Schema["PredictedLabel"], "ScoreValueKind"));

        // The estimator announces the same columns before any data is read.
        var shape = trainer.GetOutputSchema(SchemaShapes.Of(ml, train));
        foreach (string name in new[] { "Score", "Probability", "PredictedLabel" })
            Assert.Contains(shape, c => c.Name == name);

        // Probability is the logit's sigmoid and PredictedLabel its sign, row by row.
        var scores = scored.GetColumn<float>("Score").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int r = 0; r < scores.Length; r++)
        {
            Assert.Equal((float)(1 / (1 + Math.Exp(-(double)scores[r]))), probabilities[r]);
            Assert.Equal(scores[r] > 0, predicted[r]);
        }

        var metrics = ml.BinaryClassification.Evaluate(scored);
        var uncalibrated = ml.BinaryClassification.EvaluateNonCalibrated(scored);
        output.WriteLine($"AUC {metrics.AreaUnderRocCurve:F4}, accuracy {metrics.Accuracy:F4}, log-loss {metrics.LogLoss:F4}");
        Assert.True(metrics.AreaUnderRocCurve > 0.9, $"AUC {metrics.AreaUnderRocCurve}");
        Assert.Equal(metrics.AreaUnderRocCurve, uncalibrated.AreaUnderRocCurve, 12);

        // The same figures as model.Model's own probabilities.
        var features = test.GetColumn<float[]>("Features").ToArray();
        Assert.Equal(probabilities[7], model.Model.PredictProbabilities(features[7])[1]);
        Assert.Throws<InvalidOperationException>(() => model.Model.PredictValue(features[7]));

        var engine = ml.Model.CreatePredictionEngine<BinaryLabelRow, BinaryPrediction>(model);
        var first = engine.Predict(SyntheticData.BinaryBlobs(200, seed: 2)[0]);
        Assert.Equal(scores[0], first.Score);
        Assert.Equal(probabilities[0], first.Probability);
        Assert.Equal(predicted[0], first.PredictedLabel);
    }

    [Fact]
    public void BinaryModelsCrossValidateAndRankFeatures()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(300, seed: 3));
        var folds = ml.BinaryClassification.CrossValidate(data, ml.BinaryClassification.Trainers.AdamMlp(BinaryOptions(15)), numberOfFolds: 3);
        Assert.All(folds, f => Assert.True(f.Metrics.AreaUnderRocCurve > 0.85, $"fold AUC {f.Metrics.AreaUnderRocCurve}"));

        // x0 and x3 carry most of the signal, so permuting either costs more AUC than permuting x1 or x2 alone.
        var model = ml.BinaryClassification.Trainers.AdamMlp(BinaryOptions(30)).Fit(data);
        var importance = ml.BinaryClassification.PermutationFeatureImportance(model, data, permutationCount: 2);
        var drops = importance.Select(m => m.AreaUnderRocCurve.Mean).ToArray();
        output.WriteLine($"AUC change per feature: {string.Join(", ", drops.Select(d => d.ToString("F4")))}");
        Assert.Equal(4, drops.Length);
        Assert.True(drops[0] < -0.05 && drops[3] < -0.05, "x0 and x3 matter");
    }

    [Fact]
    public void RegressionScoresAreInTheLabelsUnits()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(600, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(300, seed: 2));
        var trainer = ml.Regression.Trainers.AdamMlp(RegressionOptions());
        var model = trainer.Fit(train);
        var scored = model.Transform(test);

        Assert.Equal(MlpTask.Regression, model.Model.Task);
        Assert.Empty(model.Model.ClassNames);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
        Assert.Null(scored.Schema.GetColumnOrNull("PredictedLabel"));
        Assert.Equal("Regression", Annotation(scored.Schema["Score"], "ScoreColumnKind"));
        Assert.Contains(trainer.GetOutputSchema(SchemaShapes.Of(ml, train)), c => c.Name == "Score");

        var metrics = ml.Regression.Evaluate(scored);
        output.WriteLine($"R² {metrics.RSquared:F4}, MAE {metrics.MeanAbsoluteError:F3}, RMSE {metrics.RootMeanSquaredError:F3}");
        // The noise alone (σ 5 on a target of σ about 40) caps R² near 0.98; a model that ignored the label's scale would be far off.
        Assert.True(metrics.RSquared > 0.9, $"R² {metrics.RSquared}");
        var scores = scored.GetColumn<float>("Score").ToArray();
        Assert.InRange(scores.Average(), 130, 170);

        var features = test.GetColumn<float[]>("Features").ToArray();
        Assert.Equal(scores[3], model.Model.PredictValue(features[3]));
        Assert.Throws<InvalidOperationException>(() => model.Model.PredictProbabilities(features[3]));
        var engine = ml.Model.CreatePredictionEngine<NumericLabelRow, ValuePrediction>(model);
        Assert.Equal(scores[0], engine.Predict(SyntheticData.RegressionRows(300, seed: 2)[0]).Score);

        var folds = ml.Regression.CrossValidate(train, ml.Regression.Trainers.AdamMlp(RegressionOptions(20)), numberOfFolds: 3);
        Assert.All(folds, f => Assert.True(f.Metrics.RSquared > 0.8, $"fold R² {f.Metrics.RSquared}"));
    }

    [Fact]
    public void HuberLossTrainsAndResistsOutliers()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticData.RegressionRows(600, seed: 1);
        for (int r = 0; r < rows.Count; r += 20)
            rows[r].Label += 2000;
        var train = ml.Data.LoadFromEnumerable(rows);
        var test = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(300, seed: 2));
        var squared = RegressionOptions();
        var huber = RegressionOptions();
        huber.Loss = RegressionLossKind.Huber;
        double squaredR2 = ml.Regression.Evaluate(new AdamMlpRegressionTrainer(ml, squared).Fit(train).Transform(test)).RSquared;
        double huberR2 = ml.Regression.Evaluate(new AdamMlpRegressionTrainer(ml, huber).Fit(train).Transform(test)).RSquared;
        output.WriteLine($"with 5 % outliers: squared error R² {squaredR2:F4}, Huber R² {huberR2:F4}");
        Assert.True(huberR2 > squaredR2 + 0.05, $"Huber {huberR2} vs squared {squaredR2}");
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("regression")]
    public void ResumingFromACheckpointEqualsTheUninterruptedRun(string task)
    {
        var ml = new MLContext(seed: 1);
        string path = Path.Combine(_folder, task + ".ckpt");
        ITransformer Fit(int epochs, string? checkpointPath, TrainingCheckpoint? from)
        {
            if (task == "binary")
            {
                var options = BinaryOptions(epochs);
                options.CheckpointPath = checkpointPath;
                var data = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(150, seed: 1));
                var trainer = new AdamMlpBinaryTrainer(ml, options);
                return from is null ? trainer.Fit(data) : trainer.Fit(data, from);
            }
            var regression = RegressionOptions(epochs);
            regression.CheckpointPath = checkpointPath;
            var rows = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(150, seed: 1));
            var regressionTrainer = new AdamMlpRegressionTrainer(ml, regression);
            return from is null ? regressionTrainer.Fit(rows) : regressionTrainer.Fit(rows, from);
        }

        var uninterrupted = ((AdamMlpTransformer)Fit(6, null, null)).Model;
        Fit(3, path, null);
        var checkpoint = TrainingCheckpoint.Load(path);
        Assert.Equal(uninterrupted.Task, checkpoint.Model.Task);
        var resumed = ((AdamMlpTransformer)Fit(6, null, checkpoint)).Model;
        Assert.Equal(uninterrupted.TrainingHistory.Select(h => h.TrainingLoss), resumed.TrainingHistory.Select(h => h.TrainingLoss));
        Assert.Equal(uninterrupted.GetParameters(), resumed.GetParameters());
    }

    [Fact]
    public void WarmStartingARegressionModelContinuesFromItsPredictions()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(300, seed: 1));
        var first = new AdamMlpRegressionTrainer(ml, RegressionOptions(20)).Fit(data);

        // With a vanishing learning rate the warm start must give back the same predictions (unfold, then fold again).
        var still = RegressionOptions(1);
        still.Optimizer = new AdamOptimizer { LearningRate = 1e-30f };
        var again = new AdamMlpRegressionTrainer(ml, still).Fit(data, first.Model);
        var a = first.Transform(data).GetColumn<float>("Score").ToArray();
        var b = again.Transform(data).GetColumn<float>("Score").ToArray();
        double worst = a.Zip(b, (x, y) => Math.Abs(x - y) / Math.Max(1, Math.Abs(x))).Max();
        output.WriteLine($"largest relative change after a zero-rate warm start: {worst:E2}");
        Assert.True(worst < 1e-5, $"{worst}");

        // A classifier's weights are not a regression start.
        var binary = new AdamMlpBinaryTrainer(ml, BinaryOptions(1)).Fit(ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(50, seed: 1)));
        var e = Assert.Throws<ArgumentException>(() => new AdamMlpRegressionTrainer(ml, RegressionOptions(1)).Fit(data, binary.Model));
        Assert.Contains("BinaryClassification", e.Message);
    }

    [Fact]
    public void StreamingTrainsTheSameModelsAsInMemory()
    {
        var ml = new MLContext(seed: 1);
        var binaryData = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(100, seed: 1));
        var regressionData = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(100, seed: 1));
        AdamMlpModelParameters Binary(TrainingDataMode mode)
        {
            var o = BinaryOptions(3);
            o.Shuffle = false;
            o.DataMode = mode;
            return new AdamMlpBinaryTrainer(ml, o).Fit(binaryData).Model;
        }
        AdamMlpModelParameters Regression(TrainingDataMode mode)
        {
            var o = RegressionOptions(3);
            o.Shuffle = false;
            o.DataMode = mode;
            return new AdamMlpRegressionTrainer(ml, o).Fit(regressionData).Model;
        }
        Assert.Equal(Binary(TrainingDataMode.InMemory).GetParameters(), Binary(TrainingDataMode.Streaming).GetParameters());
        Assert.Equal(Regression(TrainingDataMode.InMemory).GetParameters(), Regression(TrainingDataMode.Streaming).GetParameters());
    }

    [Fact]
    public void SparseFeaturesTrainABinaryModel()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticData.Sparse(300, seed: 1).Select(r => new SparseBinaryRow { Label = r.Label == 1, Features = r.Features }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = new AdamMlpBinaryTrainer(ml, BinaryOptions(20)).Fit(data);
        double auc = ml.BinaryClassification.Evaluate(model.Transform(data)).AreaUnderRocCurve;
        output.WriteLine($"sparse binary AUC {auc:F4}");
        Assert.True(auc > 0.9, $"AUC {auc}");
    }

    [Fact]
    public void EarlyStoppingWatchesTheValidationAucAndRSquared()
    {
        var ml = new MLContext(seed: 1);
        var binary = BinaryOptions(200);
        binary.ValidationFraction = 0.25f;
        binary.EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationAuc, Patience = 5 };
        var binaryModel = new AdamMlpBinaryTrainer(ml, binary).Fit(ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(400, seed: 1))).Model;
        Assert.True(binaryModel.TrainingHistory.Count < 200);
        Assert.Equal(StopReason.EarlyStopping, binaryModel.TrainingHistory[^1].StopReason);

        var regression = RegressionOptions(300);
        regression.ValidationFraction = 0.25f;
        regression.EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationRSquared, Patience = 5 };
        var regressionModel = new AdamMlpRegressionTrainer(ml, regression).Fit(ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(400, seed: 1))).Model;
        Assert.True(regressionModel.TrainingHistory.Count < 300);
        Assert.Equal(StopReason.EarlyStopping, regressionModel.TrainingHistory[^1].StopReason);

        // The history records each head's validation figures.
        Assert.All(binaryModel.TrainingHistory, h => Assert.InRange(h.ValidationAuc!.Value, 0.5, 1));
        Assert.All(binaryModel.TrainingHistory, h => Assert.NotNull(h.ValidationAccuracy));
        Assert.All(regressionModel.TrainingHistory, h => Assert.True(h.ValidationRSquared <= 1));
        Assert.All(regressionModel.TrainingHistory, h => Assert.Null(h.ValidationAccuracy));
        Assert.True(regressionModel.TrainingHistory[^1].ValidationRSquared > 0.8);

        // A metric of another task is refused, naming the setting.
        var wrong = RegressionOptions();
        wrong.EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationAccuracy };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpRegressionTrainer(ml, wrong).Fit(ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(20, seed: 1))));
        Assert.Contains("AdamMlpRegressionTrainer.Options.EarlyStopping", e.Message);
    }

    [Fact]
    public void TheValidationAucAndRSquaredAreMLNetsFigures()
    {
        var ml = new MLContext(seed: 1);
        var valid = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(150, seed: 9));
        var model = new AdamMlpBinaryTrainer(ml, BinaryOptions(5)).Fit(ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(200, seed: 1)), valid);
        double auc = ml.BinaryClassification.Evaluate(model.Transform(valid)).AreaUnderRocCurve;
        Assert.Equal(auc, Evaluator(model.Model, valid, LabelKind.Boolean, OutputHead.Binary).LastAuc!.Value, 9);

        var rows = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(150, seed: 9));
        var regression = new AdamMlpRegressionTrainer(ml, RegressionOptions(5)).Fit(ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(200, seed: 1)));
        double r2 = ml.Regression.Evaluate(regression.Transform(rows)).RSquared;
        Assert.Equal(r2, Evaluator(regression.Model, rows, LabelKind.Single, OutputHead.SquaredError).LastRSquared!.Value, 5);
    }

    // The validation evaluator over a trained (label-unit) model: its R² and AUC do not depend on the target scaling.
    private static FullBatchEvaluator Evaluator(AdamMlpModelParameters model, IDataView data, LabelKind kind, OutputHead head)
    {
        var rows = TrainingDataLoader.Load(data, new TrainingLabel(data.Schema["Label"], kind), data.Schema["Features"], null, FeatureStorage.Auto, out _);
        var problem = new TrainingProblem(model.Layout, model.Activation, 0, new SeededRandom(1))
        {
            Train = rows,
            Validation = rows,
            Batches = () => throw new InvalidOperationException(),
            Shuffle = false,
            GradientClipNorm = null,
            GradientClipValue = null,
            DropoutRate = 0,
            Pool = null,
            Head = head,
        };
        var evaluator = new FullBatchEvaluator(problem, rows, withGradient: false);
        evaluator.Evaluate(model.GetParameters(), Span<float>.Empty);
        return evaluator;
    }

    [Fact]
    public void PositiveClassWeightsShiftTheBinaryDecision()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(300, seed: 1));
        int Positives(ClassWeights? weights)
        {
            var options = BinaryOptions(20);
            options.ClassWeights = weights;
            return new AdamMlpBinaryTrainer(ml, options).Fit(data).Transform(data).GetColumn<bool>("PredictedLabel").Count(p => p);
        }
        int plain = Positives(null), favoured = Positives(ClassWeights.PositiveClass(5)), disfavoured = Positives(ClassWeights.PositiveClass(0.2f));
        output.WriteLine($"predicted positives: weight 0.2 → {disfavoured}, 1 → {plain}, 5 → {favoured}");
        Assert.True(disfavoured < plain && plain < favoured);
        Assert.Throws<ArgumentException>(() => Positives(ClassWeights.Explicit(new Dictionary<string, float> { ["yes"] = 2 })));
    }

    [Fact]
    public void LbfgsFitsARegressionModel()
    {
        var ml = new MLContext(seed: 1);
        var options = RegressionOptions();
        options.Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 100 };
        options.L2Regularization = 1e-4f;
        var train = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(400, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(200, seed: 2));
        double r2 = ml.Regression.Evaluate(new AdamMlpRegressionTrainer(ml, options).Fit(train).Transform(test)).RSquared;
        output.WriteLine($"L-BFGS regression R² {r2:F4}");
        Assert.True(r2 > 0.9, $"R² {r2}");
    }

    [Fact]
    public void WrongLabelTypesGetAnErrorThatNamesTheColumnAndTheFix()
    {
        var ml = new MLContext(seed: 1);
        var numeric = ml.Data.LoadFromEnumerable(SyntheticData.RegressionRows(20, seed: 1));
        var e = Assert.Throws<ArgumentException>(() => new AdamMlpBinaryTrainer(ml, BinaryOptions()).Fit(numeric));
        Assert.Contains("'Label'", e.Message);
        Assert.Contains("Boolean", e.Message);
        Assert.Contains("AdamMlpBinaryTrainer", e.Message);
        Assert.Throws<ArgumentException>(() => new AdamMlpBinaryTrainer(ml, BinaryOptions()).GetOutputSchema(SchemaShapes.Of(ml, numeric)));

        var text = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(5, seed: 1));
        e = Assert.Throws<ArgumentException>(() => new AdamMlpRegressionTrainer(ml, RegressionOptions()).Fit(text));
        Assert.Contains("'Label'", e.Message);
        Assert.Contains("Single", e.Message);
        Assert.Contains("AdamMlpRegressionTrainer", e.Message);

        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(text).Transform(text);
        e = Assert.Throws<ArgumentException>(() => new AdamMlpRegressionTrainer(ml, RegressionOptions()).GetOutputSchema(SchemaShapes.Of(ml, keys)));
        Assert.Contains("Single", e.Message);

        var doubles = ml.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Double).Fit(numeric).Transform(numeric);
        e = Assert.Throws<ArgumentException>(() => new AdamMlpRegressionTrainer(ml, RegressionOptions()).Fit(doubles));
        Assert.Contains("ConvertType", e.Message);

        var booleans = ml.Data.LoadFromEnumerable(SyntheticData.BinaryBlobs(20, seed: 1));
        e = Assert.Throws<ArgumentException>(() => new AdamMlpTrainer(ml).Fit(booleans));
        Assert.Contains("MapValueToKey", e.Message);
    }

    [Fact]
    public void BadTaskOptionsAreRefusedWhenTheTrainerIsMade()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpRegressionTrainer(ml, new AdamMlpRegressionTrainer.Options { Loss = RegressionLossKind.Huber, HuberDelta = 0 }));
        Assert.Contains("AdamMlpRegressionTrainer.Options.HuberDelta", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpRegressionTrainer(ml, new AdamMlpRegressionTrainer.Options { Loss = (RegressionLossKind)7 }));
        Assert.Contains("AdamMlpRegressionTrainer.Options.Loss", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpTrainer(ml, new AdamMlpTrainer.Options { EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationAuc } }));
        Assert.Contains("AdamMlpTrainer.Options.EarlyStopping", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamMlpBinaryTrainer(ml, new AdamMlpBinaryTrainer.Options { BatchSize = 0 }));
        Assert.Contains("AdamMlpBinaryTrainer.Options.BatchSize", e.Message);
    }

    [Fact]
    public void NaNTargetsAreSkippedAndCounted()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticData.RegressionRows(100, seed: 1);
        rows[3].Label = float.NaN;
        rows[50].Label = float.PositiveInfinity;
        var data = ml.Data.LoadFromEnumerable(rows);
        var loaded = TrainingDataLoader.Load(data, new TrainingLabel(data.Schema["Label"], LabelKind.Single), data.Schema["Features"], null, FeatureStorage.Auto, out long skipped);
        Assert.Equal(2, skipped);
        Assert.Equal(98, loaded.RowCount);
        Assert.Equal(rows[4].Label, loaded.Targets![3]);
        var model = new AdamMlpRegressionTrainer(ml, RegressionOptions(2)).Fit(data);
        Assert.All(model.Model.GetParameters(), p => Assert.True(float.IsFinite(p)));
    }

    private static string Annotation(DataViewSchema.Column column, string kind)
    {
        ReadOnlyMemory<char> value = default;
        column.Annotations.GetValue(kind, ref value);
        return value.ToString();
    }

    public sealed class BinaryPrediction
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    public sealed class ValuePrediction
    {
        public float Score { get; set; }
    }

    public sealed class SparseBinaryRow
    {
        public bool Label { get; set; }

        [VectorType(SyntheticData.SparseWidth)]
        public VBuffer<float> Features { get; set; }
    }
}
