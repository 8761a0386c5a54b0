using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;
using MLNetAdam.Training;

namespace Classification;

// Trains a softmax MLP on the UCI optical digits (8x8 images of handwritten digits, 1,797 rows, as scikit-learn
// distributes them): a held-out tenth for early stopping, a progress bar, plots of the history, a run interrupted
// and resumed from its checkpoint, Model.Save/Load and ONNX export.
//   dotnet run --project samples/Classification -c Release                          digits (default, a few seconds)
//   dotnet run --project samples/Classification -c Release -- --data fashion-mnist  Fashion-MNIST (Debian's dataset-fashion-mnist)
//   dotnet run --project samples/Classification -c Release -- --compare             Adam, Adadelta and L-BFGS side by side
//   dotnet run --project samples/Classification -c Release -- --data breast-cancer   binary classifier (AUC, Model.Save/Load)
//   dotnet run --project samples/Classification -c Release -- --data diabetes        regressor (R² against ML.NET's SDCA)
//   mpirun -np 2 dotnet samples/Classification/bin/Release/net10.0/Classification.dll --data fashion-mnist --distributed
// Plots go to ./plots (or --plots FOLDER).
public static class Program
{
    public static int Main(string[] args)
    {
        string? Option(string name) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        string plotFolder = Option("--plots") ?? "plots";

        // Create a new context for ML.NET operations: the source of randomness (a fixed seed makes the output
        // repeatable), the log, and the catalogs of transforms and trainers.
        var mlContext = new MLContext(seed: 1);

        string data = Option("--data") ?? "digits";
        if (data == "fashion-mnist")
            return FashionMnist.Run(mlContext, plotFolder, distributed: args.Contains("--distributed"));
        if (data == "breast-cancer")
            return BinaryAndRegression.RunBinary(mlContext);
        if (data == "diabetes")
            return BinaryAndRegression.RunRegression(mlContext);
        if (data != "digits")
        {
            Console.WriteLine($"Unknown data set '{data}': use digits (the default), fashion-mnist, breast-cancer or diabetes.");
            return 2;
        }

        // 1. Load the data. ML.NET's text loader cannot read gzip, so decompress the file to a temporary file first.
        string dataPath = Decompress(Path.Combine(AppContext.BaseDirectory, "Data", "digits.csv.gz"));
        string work = Directory.CreateTempSubdirectory("mlnetadam-sample-").FullName;
        try
        {
            IDataView all = mlContext.Data.LoadFromTextFile<Digit>(dataPath, separatorChar: ',');

            // 2. Hold out 20 % of the rows for testing.
            var split = mlContext.Data.TrainTestSplit(all, testFraction: 0.2, seed: 1);

            if (args.Contains("--compare"))
            {
                var featurize = mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
                    .Append(mlContext.Transforms.NormalizeMinMax("Features", "Pixels"));
                Comparison.Run(mlContext, split.TrainSet, split.TestSet, featurize, plotFolder);
                return 0;
            }

            // 3. The trainer: 64 inputs → 64 hidden (ReLU) → 10 classes, Adam with learning rate 1e-3, mini-batches
            // of 32 rows, at most 100 epochs. A stratified tenth of the training rows is held out for validation;
            // training stops when the validation loss has not improved for 8 epochs and keeps the best epoch's
            // weights. The features are standardized inside the trainer (NormalizeFeatures, on by default), and a
            // checkpoint is written after every epoch.
            string checkpointPath = Path.Combine(work, "digits.ckpt");
            AdamMlpTrainer.Options Options() => new()
            {
                HiddenLayerSizes = [64],
                Optimizer = new AdamOptimizer { LearningRate = 1e-3f },
                BatchSize = 32,
                NumberOfEpochs = 100,
                ValidationFraction = 0.1f,
                EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationLoss, Patience = 8 },
                CheckpointPath = checkpointPath,
            };

            // 4. Featurize once: the label becomes a key (ordered by value: keys 1..10 are digits 0..9), the pixels
            // a "Features" vector.
            var featurizer = mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
                .Append(mlContext.Transforms.Concatenate("Features", "Pixels"))
                .Fit(split.TrainSet);
            IDataView train = featurizer.Transform(split.TrainSet);

            // 5. Start training, and stop it after epoch 5 as a user would (Options.CancellationToken; ML.NET's
            // mlContext.CancelExecution() does the same). The checkpoint of epoch 5 stays on disk.
            var interrupted = Options();
            using (var stop = new CancellationTokenSource())
            {
                interrupted.CancellationToken = stop.Token;
                try
                {
                    TrainingView.WithProgressBar(interrupted, "digits", () =>
                    {
                        var inner = interrupted.Progress!;
                        interrupted.Progress = new Reporter(r =>
                        {
                            inner.Report(r);
                            if (r.IsEpochEnd && r.Epoch == 5)
                                stop.Cancel();
                        });
                        return new AdamMlpTrainer(mlContext, interrupted).Fit(train);
                    });
                }
                catch (OperationCanceledException)
                {
                    Console.WriteLine($"Stopped after epoch 5; the checkpoint holds {TrainingCheckpoint.Load(checkpointPath).CompletedEpochs} epochs.");
                }
            }

            // 6. Resume from the checkpoint: the run continues exactly where it stopped (same weights, optimizer
            // state, shuffling and early-stopping state as an uninterrupted run).
            var options = Options();
            var trainer = new AdamMlpTrainer(mlContext, options);
            AdamMlpTransformer mlp = TrainingView.WithProgressBar(options, "digits, resumed", () => trainer.Fit(train, TrainingCheckpoint.Load(checkpointPath)));
            // The whole model: featurizer, network, and the predicted key mapped back to the digit.
            var mapBack = mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(mlp.Transform(train));
            var model = featurizer.Append(mlp).Append(mapBack);
            IReadOnlyList<TrainingHistoryEntry> history = mlp.Model.TrainingHistory;
            Console.WriteLine($"Network: {string.Join(" → ", LayerNames(mlp.Model))}; {history.Count} epochs ({(history[^1].StopReason == StopReason.EarlyStopping ? "early stopping" : "the epoch limit")}), best validation loss at epoch {history.MinBy(h => h.ValidationLoss)!.Epoch}.");
            TrainingView.PrintHistory(history);
            foreach (string path in Plots.Write(plotFolder, "digits", history))
                Console.WriteLine($"Plot written to {path}");

            // 7. Evaluate the model on the test set.
            var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
            Console.WriteLine($"Micro Accuracy: {metrics.MicroAccuracy:F4}");
            Console.WriteLine($"Macro Accuracy: {metrics.MacroAccuracy:F4}");
            Console.WriteLine($"Log Loss: {metrics.LogLoss:F4}");

            // 8. Save the whole pipeline the ML.NET way and load it back (an app needs only Microsoft.ML and
            // Microsoft.ML.OnnxTransformer to load it); the loaded model scores the same.
            string zipPath = Path.Combine(work, "digits-model.zip");
            mlContext.Model.Save(model, split.TrainSet.Schema, zipPath);
            ITransformer loaded = mlContext.Model.Load(zipPath, out _);
            var reloaded = mlContext.MulticlassClassification.Evaluate(loaded.Transform(split.TestSet));
            Console.WriteLine($"Saved to {Path.GetFileName(zipPath)} and loaded back: Micro Accuracy {reloaded.MicroAccuracy:F4}");

            // 9. Export the network to ONNX (raw pixels in, probabilities and class out) and read it back.
            string onnxPath = Path.Combine(work, "digits.onnx");
            mlp.ExportToOnnx(onnxPath);
            var fromOnnx = AdamMlpModelParameters.LoadFromOnnx(onnxPath);
            Console.WriteLine($"Exported {Path.GetFileName(onnxPath)} ({new FileInfo(onnxPath).Length:N0} bytes): {string.Join(" → ", LayerNames(fromOnnx))}");

            // 10. Predict a few test rows one at a time.
            var engine = mlContext.Model.CreatePredictionEngine<Digit, DigitPrediction>(model);
            foreach (var digit in mlContext.Data.CreateEnumerable<Digit>(split.TestSet, reuseRowObject: false).Take(5))
            {
                var prediction = engine.Predict(digit);
                Console.WriteLine($"Label: {digit.Label}, Prediction: {prediction.PredictedLabel}, Probability: {prediction.Score.Max():F4}");
            }

            // Expected output (times, and the progress bar on a terminal, vary from run to run): see README.md,
            // "The sample's output".
            return 0;
        }
        finally
        {
            File.Delete(dataPath);
            Directory.Delete(work, recursive: true);
        }
    }

    // "64 inputs", "64 hidden", "10 classes".
    private static IEnumerable<string> LayerNames(AdamMlpModelParameters network) =>
        network.LayerSizes.Select((size, i) => i == 0 ? $"{size} inputs" : i == network.LayerSizes.Count - 1 ? $"{size} classes" : $"{size} hidden");

    // Decompresses a gzip file into a new temporary file and returns its path.
    private static string Decompress(string gzipPath)
    {
        string path = Path.GetTempFileName();
        using var source = new GZipStream(File.OpenRead(gzipPath), CompressionMode.Decompress);
        using var target = File.Create(path);
        source.CopyTo(target);
        return path;
    }

    private sealed class Reporter(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
