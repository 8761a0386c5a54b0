using System.Diagnostics;
using Microsoft.ML;
using MLNetAdam.Training;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;

namespace Classification;

// `--compare`: Adam, Adadelta, L-BFGS, and Adam handing over to L-BFGS, each training the same network on the
// same split from the same initial weights, side by side in one table.
public static class Comparison
{
    public static void Run(MLContext mlContext, IDataView trainSet, IDataView testSet, IEstimator<ITransformer> featurize, string plotFolder)
    {
        // 1. Featurize once so every optimizer sees exactly the same rows.
        var featurizer = featurize.Fit(trainSet);
        IDataView train = featurizer.Transform(trainSet);
        IDataView test = featurizer.Transform(testSet);
        int trainRows = (int)(train.GetRowCount() ?? mlContext.Data.CreateEnumerable<Digit>(trainSet, false).Count());

        // 2. The contenders. Same network ([64] ReLU) and the same Seed, so the same initial weights.
        const int BatchSize = 32;
        var contenders = new (string Name, AdamMlpTrainer.Options Options)[]
        {
            ("Adam (lr 1e-3, 30 epochs)", Options(o => { o.Optimizer = new AdamOptimizer { LearningRate = 1e-3f }; o.NumberOfEpochs = 30; })),
            ("Adadelta (lr 1, 30 epochs)", Options(o => { o.Optimizer = new AdadeltaOptimizer(); o.NumberOfEpochs = 30; })),
            ("L-BFGS (100 iterations)", Options(o => o.Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 100 })),
            ("L-BFGS + L2 1e-3", Options(o => { o.Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 100 }; o.L2Regularization = 1e-3f; })),
            ("Adam 10 epochs -> L-BFGS 50", Options(o => o.Phases =
            [
                new TrainingPhase { Optimizer = new AdamOptimizer { LearningRate = 1e-3f }, NumberOfEpochs = 10 },
                new TrainingPhase { Optimizer = new LbfgsOptimizer { MaximumNumberOfIterations = 50 } },
            ])),
        };

        // 3. Warm up: one untimed round first, so that no contender's time is spent compiling code.
        foreach (var (_, options) in contenders)
            new AdamMlpTrainer(mlContext, options).Fit(train);

        // 4. Train each one, timing the Fit call, and measure it on both sets with ML.NET's evaluator.
        Console.WriteLine($"{"optimizer",-30} {"time s",7} {"epochs/it",9} {"evals",6} {"data passes",11} {"train loss",10} {"test acc",8} {"test logloss",12}");
        var histories = new List<(string, IReadOnlyList<MLNetAdam.Model.TrainingHistoryEntry>)>();
        foreach (var (name, options) in contenders)
        {
            var clock = Stopwatch.StartNew();
            AdamMlpTransformer model = new AdamMlpTrainer(mlContext, options).Fit(train);
            clock.Stop();
            var history = model.Model.TrainingHistory;
            histories.Add((name, history));
            // A mini-batch evaluation reads BatchSize rows; a full-batch one reads every row.
            double passes = history.Sum(h => h.GradientNorm is null ? h.Evaluations : h.Evaluations * (double)BatchSize / trainRows);
            var onTrain = mlContext.MulticlassClassification.Evaluate(model.Transform(train));
            var onTest = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
            Console.WriteLine($"{name,-30} {clock.Elapsed.TotalSeconds,7:F2} {history.Count,9} {history.Sum(h => h.Evaluations),6} {passes,11:F0} {onTrain.LogLoss,10:F4} {onTest.MicroAccuracy,8:F4} {onTest.LogLoss,12:F4}");
        }

        Console.WriteLine($"Plot written to {Plots.WriteComparison(plotFolder, histories)}");

        // Every contender runs its whole budget (no convergence stop) on the min-max scaled pixels as they are.
        AdamMlpTrainer.Options Options(Action<AdamMlpTrainer.Options> configure)
        {
            var options = new AdamMlpTrainer.Options { HiddenLayerSizes = [64], BatchSize = BatchSize, Seed = 7, EarlyStopping = null, NormalizeFeatures = false };
            configure(options);
            return options;
        }
    }
}
