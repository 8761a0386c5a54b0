using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks.Text;

/// <summary>
/// `text`: real text nobody here wrote — the short descriptions of Debian's packages (from this machine's apt lists,
/// `apt-cache dumpavail`), classified by archive section — through FeaturizeText, one hidden layer of 64, against
/// ML.NET's SdcaMaximumEntropy on the same features. Reports accuracy, fit time and scoring rows/s side by side: bulk
/// Transform of the featurized test rows, a one-row PredictionEngine with FeaturizeText in the pipeline, and the same
/// after Model.Save/Load (ONNX Runtime for MLNetAdam).
/// </summary>
internal static class TextRunner
{
    public sealed class Settings
    {
        public int Epochs { get; init; } = 10;
        public int Hidden { get; init; } = 64;
        public int? Threads { get; init; }
        public double Seconds { get; init; } = 2;
        public int Seed { get; init; } = 1;
        public bool Normalize { get; init; } = true;
        public bool OnlyMlp { get; init; }
    }

    public sealed class Package
    {
        public string Description { get; set; } = "";
        public string Section { get; set; } = "";
    }

    private sealed class Predicted
    {
        public uint PredictedLabel { get; set; }
    }

    public static int Run(Settings s)
    {
        var packages = ReadPackages();
        if (packages.Count == 0)
        {
            Console.WriteLine("No package descriptions found: run `apt-get update` first (the text mode reads apt-cache dumpavail).");
            return 1;
        }
        var ml = new MLContext(seed: s.Seed);
        var all = ml.Data.ShuffleRows(ml.Data.LoadFromEnumerable(packages), seed: s.Seed);
        var split = ml.Data.TrainTestSplit(all, testFraction: 0.2, seed: s.Seed);
        var featurizer = ml.Transforms.Conversion.MapValueToKey("Label", "Section")
            .Append(ml.Transforms.Text.FeaturizeText("Features", "Description"))
            .Fit(split.TrainSet);
        var train = ml.Data.Cache(featurizer.Transform(split.TrainSet));
        var test = ml.Data.Cache(featurizer.Transform(split.TestSet));
        int features = ((VectorDataViewType)train.Schema["Features"].Type).Size;
        int classes = (int)((KeyDataViewType)train.Schema["Label"].Type).Count;
        long testRows = test.GetRowCount() ?? CountRows(test);
        Console.WriteLine($"# text: {packages.Count:N0} Debian package short descriptions, {classes} sections, {features:N0} FeaturizeText features; 80/20 split");
        Console.WriteLine($"# load {LoadAverage()}; {Environment.ProcessorCount} cores");

        var contenders = new (string Name, Func<IEstimator<ITransformer>> Trainer)[]
        {
            ($"AdamMlp (hidden {s.Hidden}, {s.Epochs} epochs)", () => new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
            {
                HiddenLayerSizes = [s.Hidden],
                Optimizer = new AdamOptimizer { LearningRate = 1e-3f },
                BatchSize = 128,
                NumberOfEpochs = s.Epochs,
                EarlyStopping = null,
                NumberOfThreads = s.Threads,
                NormalizeFeatures = s.Normalize,
                Seed = s.Seed,
            })),
            ("SdcaMaximumEntropy", () => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
        };

        Console.WriteLine();
        Console.WriteLine("| trainer | test accuracy | fit s | bulk Transform rows/s | PredictionEngine rows/s (with FeaturizeText) | after Save/Load: bulk rows/s | after Save/Load: PredictionEngine rows/s |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        var results = new List<double[]>();
        foreach (var (name, make) in contenders)
        {
            var clock = Stopwatch.StartNew();
            var model = make().Fit(train);
            double fit = clock.Elapsed.TotalSeconds;
            double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
            double bulk = Bulk(ml, model, test, testRows, s.Seconds);
            var pipeline = featurizer.Append(model);
            double single = OneRow(ml, pipeline, split.TestSet, s.Seconds);

            using var stream = new MemoryStream();
            ml.Model.Save(pipeline, split.TrainSet.Schema, stream);
            stream.Position = 0;
            var loaded = ml.Model.Load(stream, out _);
            double loadedBulk = Bulk(ml, loaded, split.TestSet, testRows, s.Seconds);
            double loadedSingle = OneRow(ml, loaded, split.TestSet, s.Seconds);
            results.Add([accuracy, fit, bulk, single, loadedBulk, loadedSingle]);
            Console.WriteLine($"| {name} | {accuracy:F4} | {fit:F1} | {bulk:N0} | {single:N0} | {loadedBulk:N0} | {loadedSingle:N0} |");
        }
        var (a, b) = (results[0], results[1]);
        Console.WriteLine();
        Console.WriteLine($"AdamMlp ÷ SDCA: accuracy {a[0] - b[0]:+0.0000;-0.0000}, fit time {a[1] / b[1]:F2}×, bulk Transform {a[2] / b[2]:F3}× (target ≥ 0.25), "
            + $"PredictionEngine {a[3] / b[3]:F3}× (target ≥ 0.25), after Save/Load: bulk {a[4] / b[4]:F3}×, PredictionEngine {a[5] / b[5]:F3}×; load after {LoadAverage()}.");
        Console.WriteLine("(Bulk Transform: the featurized test rows through the trained model alone; after Save/Load: the whole saved pipeline, FeaturizeText included.)");
        return 0;
    }

    // Scores every row (reading PredictedLabel) as many times as fit in `seconds` (at least once); rows per second.
    private static double Bulk(MLContext ml, ITransformer model, IDataView data, long rows, double seconds)
    {
        var scored = model.Transform(data);
        var column = scored.Schema["PredictedLabel"];
        var clock = Stopwatch.StartNew();
        long done = 0;
        uint sink = 0;
        do
        {
            using var cursor = scored.GetRowCursor([column]);
            var getter = cursor.GetGetter<uint>(column);
            uint value = 0;
            while (cursor.MoveNext())
            {
                getter(ref value);
                sink ^= value;
                done++;
            }
        }
        while (clock.Elapsed.TotalSeconds < seconds);
        GC.KeepAlive(sink);
        return done / clock.Elapsed.TotalSeconds;
    }

    // One row at a time through a PredictionEngine over the raw text.
    private static double OneRow(MLContext ml, ITransformer model, IDataView rawTest, double seconds)
    {
        var rows = ml.Data.CreateEnumerable<Package>(rawTest, reuseRowObject: false).Take(5000).ToArray();
        var engine = ml.Model.CreatePredictionEngine<Package, Predicted>(model);
        var result = new Predicted();
        foreach (var row in rows.Take(200))
            engine.Predict(row, ref result);
        var clock = Stopwatch.StartNew();
        long done = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            engine.Predict(rows[done % rows.Length], ref result);
            done++;
        }
        return done / clock.Elapsed.TotalSeconds;
    }

    // `apt-cache dumpavail`: one record per package and version; the first record of each package wins.
    private static List<Package> ReadPackages()
    {
        var start = new ProcessStartInfo("apt-cache", "dumpavail") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var packages = new List<Package>();
        string? name = null, section = null, description = null;
        void Flush()
        {
            if (name is not null && section is not null && description is not null && seen.Add(name))
                packages.Add(new Package { Description = description, Section = section });
            name = section = description = null;
        }
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            if (line.Length == 0)
                Flush();
            else if (line.StartsWith("Package: ", StringComparison.Ordinal))
                name = line[9..];
            else if (line.StartsWith("Section: ", StringComparison.Ordinal))
                section = line[9..][(line[9..].LastIndexOf('/') + 1)..];
            else if (line.StartsWith("Description: ", StringComparison.Ordinal))
                description = line[13..];
        }
        Flush();
        process.WaitForExit();
        return packages;
    }

    private static long CountRows(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
            n++;
        return n;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
