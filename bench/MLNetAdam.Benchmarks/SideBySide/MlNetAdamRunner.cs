using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks.SideBySide;

/// <summary>Trains and scores the standard workload with MLNetAdam through its public ML.NET API.</summary>
internal static class MlNetAdamRunner
{
    public sealed class InputRow
    {
        [VectorType(FashionMnist.Features)]
        public float[] Features { get; set; } = [];
    }

    public sealed class OutputRow
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    public static AdamMlpTrainer.Options StandardOptions(int epochs, int threads, int seed)
    {
        var options = new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [256, 128],
            NormalizeFeatures = false, // the fixed workload: the same features and every epoch, as the anchors train
            EarlyStopping = null,
            WeightInitialization = WeightInitialization.He,
            Activation = Model.MlpActivation.Relu,
            Optimizer = new AdamOptimizer { LearningRate = 1e-3f, Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f },
            BatchSize = 128,
            NumberOfEpochs = epochs,
            Shuffle = true,
            Seed = seed,
            NumberOfThreads = threads,
        };
        return options;
    }

    /// <summary>Called right after <c>Fit</c> returns (the memory probe reads the peak working set there).</summary>
    public static Action? AfterFit { get; set; }

    public static TrainResult Train(FashionMnist data, int epochs, int threads, int seed, out AdamMlpTransformer model)
    {
        var ml = new MLContext(seed);
        var train = new ArrayDataView(data.TrainX, data.TrainY, FashionMnist.Features, FashionMnist.Classes);
        var trainer = new AdamMlpTrainer(ml, StandardOptions(epochs, threads, seed));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        model = trainer.Fit(train);
        sw.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        AfterFit?.Invoke();
        var epochSeconds = model.Model.TrainingHistory.Select(e => e.Duration.TotalSeconds).ToArray();
        double accuracy = Accuracy(ml, model, data);
        return new TrainResult("MLNetAdam", threads, epochSeconds, sw.Elapsed.TotalSeconds, accuracy) { CpuSeconds = cpu.TotalSeconds };
    }

    public static double Accuracy(MLContext ml, AdamMlpTransformer model, FashionMnist data)
    {
        var test = new ArrayDataView(data.TestX, data.TestY, FashionMnist.Features, FashionMnist.Classes);
        return ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
    }

    /// <summary>PredictionEngine, one test row at a time (the engine's input object is reused): rows per second.</summary>
    public static double PredictOneRow(AdamMlpTransformer model, FashionMnist data, double minSeconds)
    {
        var ml = new MLContext(1);
        var engine = ml.Model.CreatePredictionEngine<InputRow, OutputRow>(model, ignoreMissingColumns: true);
        var rows = new InputRow[data.TestRows];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new InputRow { Features = data.TestX.AsSpan(i * FashionMnist.Features, FashionMnist.Features).ToArray() };
        var output = new OutputRow();
        for (int i = 0; i < 1000; i++) // warm-up
            engine.Predict(rows[i], ref output);
        long done = 0;
        long checksum = 0;
        var sw = Stopwatch.StartNew();
        do
        {
            for (int i = 0; i < rows.Length; i++)
            {
                engine.Predict(rows[i], ref output);
                checksum += output.PredictedLabel;
            }
            done += rows.Length;
        } while (sw.Elapsed.TotalSeconds < minSeconds);
        GC.KeepAlive(checksum);
        return done / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Bulk <c>Transform</c> over the whole test set, reading every Score and PredictedLabel through a cursor: rows per second.</summary>
    public static double PredictBulk(AdamMlpTransformer model, FashionMnist data, double minSeconds)
    {
        var test = new ArrayDataView(data.TestX, data.TestY, FashionMnist.Features, FashionMnist.Classes);
        long done = 0;
        bool warm = false;
        var sw = new Stopwatch();
        while (true)
        {
            IDataView scored = model.Transform(test);
            var score = scored.Schema["Score"];
            var label = scored.Schema["PredictedLabel"];
            using var cursor = scored.GetRowCursor([score, label]);
            var getScore = cursor.GetGetter<VBuffer<float>>(score);
            var getLabel = cursor.GetGetter<uint>(label);
            VBuffer<float> s = default;
            uint l = 0;
            long n = 0;
            while (cursor.MoveNext())
            {
                getScore(ref s);
                getLabel(ref l);
                n++;
            }
            if (!warm)
            {
                warm = true;
                sw.Start();
                continue;
            }
            done += n;
            if (sw.Elapsed.TotalSeconds >= minSeconds)
                break;
        }
        return done / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Full-batch L-BFGS on the training set: loss-and-gradient evaluations per second.</summary>
    public static (double EvaluationsPerSecond, int Evaluations, double Seconds) Lbfgs(FashionMnist data, int iterations, int threads, int seed)
    {
        var ml = new MLContext(seed);
        var train = new ArrayDataView(data.TrainX, data.TrainY, FashionMnist.Features, FashionMnist.Classes);
        var options = StandardOptions(1, threads, seed);
        options.Optimizer = new LbfgsOptimizer
        {
            MaximumNumberOfIterations = iterations,
            MaximumNumberOfEvaluations = iterations * 2 + 5,
        };
        var model = new AdamMlpTrainer(ml, options).Fit(train);
        var history = model.Model.TrainingHistory;
        int evaluations = history.Sum(e => e.Evaluations);
        double seconds = history.Sum(e => e.Duration.TotalSeconds);
        return (evaluations / seconds, evaluations, seconds);
    }
}

/// <summary>One training run of one implementation.</summary>
internal sealed record TrainResult(string Name, int Threads, double[] EpochSeconds, double WallSeconds, double TestAccuracy)
{
    /// <summary>Process CPU time over the training call (all threads), or NaN when unknown.</summary>
    public double CpuSeconds { get; init; } = double.NaN;

    /// <summary>Several rounds of the same run pooled: all epochs after each run's first, accuracy averaged.</summary>
    public static TrainResult Pool(IReadOnlyList<TrainResult> rounds)
    {
        if (rounds.Count == 1)
            return rounds[0];
        var first = rounds[0];
        // Keep one leading epoch so MedianEpochSeconds (which skips the first) sees every round's epochs 2..n.
        var epochs = new[] { first.EpochSeconds[0] }.Concat(rounds.SelectMany(r => r.EpochSeconds.Skip(1))).ToArray();
        return new TrainResult(first.Name, first.Threads, epochs, rounds.Average(r => r.WallSeconds), rounds.Average(r => r.TestAccuracy))
        {
            CpuSeconds = rounds.Average(r => r.CpuSeconds),
            LoadAfter = rounds.Max(r => r.LoadAfter),
            Rounds = rounds.Count,
        };
    }

    /// <summary>The machine's 1-minute load average right after the run (this process included), or NaN.</summary>
    public double LoadAfter { get; init; } = double.NaN;

    /// <summary>Number of pooled rounds.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Median seconds per epoch over epochs 2.. (the first includes warm-up), or over all when there is only one.</summary>
    public double MedianEpochSeconds
    {
        get
        {
            var e = (EpochSeconds.Length > 1 ? EpochSeconds.Skip(1) : EpochSeconds).Order().ToArray();
            return e.Length == 0 ? double.NaN : e.Length % 2 == 1 ? e[e.Length / 2] : (e[e.Length / 2 - 1] + e[e.Length / 2]) / 2;
        }
    }

    public double BestEpochSeconds => (EpochSeconds.Length > 1 ? EpochSeconds.Skip(1) : EpochSeconds).DefaultIfEmpty(double.NaN).Min();
}
