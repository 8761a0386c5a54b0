using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;
using MLNetAdam.Training;

namespace Classification;

// `--data fashion-mnist`: 60,000 training and 10,000 test images of clothing (28x28 grey pixels, 10 classes) from
// the Debian package dataset-fashion-mnist. A two-hidden-layer network, a held-out tenth for early stopping and a
// progress bar; about 0.90 test accuracy in well under a minute on two cores.
public static class FashionMnist
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";
    private static readonly string[] ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public sealed class Image
    {
        [VectorType(784)]
        public float[] Pixels { get; set; } = [];

        public string Label { get; set; } = "";
    }

    public static int Run(MLContext mlContext, string plotFolder, bool distributed = false)
    {
        string? Find(string name) => new[] { name, name + ".gz" }.Select(n => Path.Combine(Folder, n)).FirstOrDefault(File.Exists);
        string[] names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
        if (names.Any(n => Find(n) is null))
        {
            Console.WriteLine($"Fashion-MNIST is not in {Folder}: install it with `sudo apt-get install dataset-fashion-mnist`.");
            return 1;
        }

        // 1. Load the IDX files (raw pixels 0..255; the trainer standardizes them itself).
        IDataView train = mlContext.Data.LoadFromEnumerable(Read(Find(names[0])!, Find(names[1])!).ToList());
        IDataView test = mlContext.Data.LoadFromEnumerable(Read(Find(names[2])!, Find(names[3])!).ToList());

        // 2. 784 inputs → 256 → 128 hidden (ReLU, 20 % dropout) → 10 classes; Adam with a cosine schedule over at most
        // 30 epochs; a stratified tenth of the training rows held out, stopping when its accuracy has not improved
        // for 6 epochs and keeping the best epoch's weights.
        var options = new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [512, 256],
            DropoutRate = 0.3f,
            Optimizer = new AdamOptimizer { LearningRate = 1e-3f },
            LearningRateSchedule = new MLNetAdam.Schedules.CosineAnnealingSchedule { Epochs = 40 },
            BatchSize = 128,
            NumberOfEpochs = 40,
            NumberOfThreads = 1,
            ValidationFraction = 0.1f,
            EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationAccuracy, Patience = 6, MinimumImprovement = 0 },
        };
        // `mpirun -np N dotnet Classification.dll --data fashion-mnist --distributed`: every rank reads the same files
        // and trains on its share of each batch (see README, "Several machines"); dropout is off, since each rank
        // would draw other masks.
        if (distributed)
        {
            options.Communicator = MLNetAdam.Distributed.MpiCommunicator.World;
            options.DropoutRate = 0;
            options.DataMode = TrainingDataMode.InMemory;
        }
        bool leader = options.Communicator is not { Rank: > 0 };
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.Concatenate("Features", "Pixels"))
            .Append(new AdamMlpTrainer(mlContext, options))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        // 3. Train with a live progress bar, then evaluate on the 10,000 test images.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = leader ? TrainingView.WithProgressBar(options, "Fashion-MNIST", () => pipeline.Fit(train)) : pipeline.Fit(train);
        clock.Stop();
        if (!leader)
            return 0;
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
        var history = model.OfType<AdamMlpTransformer>().Single().Model.TrainingHistory;
        double perEpoch = history.Skip(1).Select(h => h.Duration.TotalSeconds).Order().ElementAt((history.Count - 1) / 2);
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s ({history.Count} epochs, median {perEpoch:F2} s/epoch on {options.Communicator?.Size ?? 1} rank(s), best validation accuracy at epoch {history.MaxBy(h => h.ValidationAccuracy)!.Epoch}).");
        Console.WriteLine($"Micro Accuracy: {metrics.MicroAccuracy:F4}");
        Console.WriteLine($"Macro Accuracy: {metrics.MacroAccuracy:F4}");
        Console.WriteLine($"Log Loss: {metrics.LogLoss:F4}");
        TrainingView.PrintHistory(history);
        foreach (string path in Plots.Write(plotFolder, "fashion-mnist", history))
            Console.WriteLine($"Plot written to {path}");
        return 0;
    }

    // IDX files: a big-endian header (magic, then the dimensions) and one byte per pixel or label.
    private static IEnumerable<Image> Read(string imagesPath, string labelsPath)
    {
        byte[] images = ReadAll(imagesPath), labels = ReadAll(labelsPath);
        if (BinaryPrimitives.ReadInt32BigEndian(images) != 0x803 || BinaryPrimitives.ReadInt32BigEndian(labels) != 0x801)
            throw new InvalidDataException($"{imagesPath} or {labelsPath} is not an IDX file of unsigned bytes.");
        int count = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4));
        if (BinaryPrimitives.ReadInt32BigEndian(labels.AsSpan(4)) != count || images.Length != 16 + count * 784)
            throw new InvalidDataException($"{imagesPath} and {labelsPath} do not hold the same number of 28x28 images.");
        for (int i = 0; i < count; i++)
        {
            var pixels = new float[784];
            for (int p = 0; p < 784; p++)
                pixels[p] = images[16 + i * 784 + p];
            yield return new Image { Pixels = pixels, Label = ClassNames[labels[8 + i]] };
        }
    }

    private static byte[] ReadAll(string path)
    {
        using Stream file = File.OpenRead(path);
        using Stream data = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var copy = new MemoryStream();
        data.CopyTo(copy);
        return copy.ToArray();
    }
}
