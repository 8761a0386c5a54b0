using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML;
using MLNetAdam.Optimizers;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks.Sparse;

/// <summary>
/// Issue 5, requirement 5: training on sparse text-like rows against the same rows densified. The full data
/// (100,000 × 100,000 by default) is trained sparse only — densified it would be 40 GB; the first <c>DenseRows</c> rows
/// are trained both ways, and a small subset checks that sparse and dense training give the same model.
/// </summary>
internal static class SparseRunner
{
    public sealed class Settings
    {
        public int Rows { get; set; } = 100_000;
        public int Features { get; set; } = 100_000;
        public int NonZeros { get; set; } = 100;
        public int Hidden { get; set; } = 100;
        public int Epochs { get; set; } = 2;
        public int DenseRows { get; set; } = 5_000;
        public int CheckRows { get; set; } = 2_000;
        public int? Threads { get; set; }
        public int Seed { get; set; } = 1;
    }

    private sealed record TrainRun(string Name, int Rows, bool Dense, double[] EpochSeconds, double FitSeconds, double[] Losses, float[] Parameters)
    {
        // Epochs after the first (which includes warm-up), or the only one.
        public double SecondsPerEpoch => (EpochSeconds.Length > 1 ? EpochSeconds.Skip(1) : EpochSeconds).Average();

        public double PerThousandRows => SecondsPerEpoch / (Rows / 1000.0);
    }

    public static int Run(Settings s)
    {
        var log = Console.Out;
        int threads = s.Threads ?? Environment.ProcessorCount;
        log.WriteLine($"# sparse: {s.Rows:N0} rows × {s.Features:N0} features, ~{s.NonZeros} non-zeros a row, 10 classes; hidden [{s.Hidden}], " +
                      $"Adam 1e-3, batch 128, shuffled, {s.Epochs} epoch(s), {threads} thread(s), seed {s.Seed}");
        log.WriteLine($"# {RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}; {Environment.ProcessorCount} logical cores");

        var sw = Stopwatch.StartNew();
        var data = new SparseTextData(s.Rows, s.Features, s.NonZeros, s.Seed);
        log.WriteLine($"# generated in {sw.Elapsed.TotalSeconds:F1} s: {data.NonZeros:N0} non-zeros ({100.0 * data.NonZeros / ((double)s.Rows * s.Features):F3} % dense); " +
                      $"CSR {Gb(data.NonZeros * 8L + (s.Rows + 1) * 8L)}, densified it would be {Gb(4L * s.Rows * s.Features)}");

        int denseRows = Math.Min(s.DenseRows, s.Rows);
        int checkRows = Math.Min(s.CheckRows, s.Rows);

        var full = Train(log, "sparse, all rows", data, s.Rows, dense: false, s.Epochs, s, threads, shuffle: true);
        var subSparse = Train(log, "sparse, subset", data, denseRows, dense: false, s.Epochs, s, threads, shuffle: true);
        var subDense = Train(log, "densified, subset", data, denseRows, dense: true, s.Epochs, s, threads, shuffle: true);

        // Same model: one epoch over a small subset, sparse and dense, same seed and shuffle.
        var checkSparse = Train(log, "check sparse", data, checkRows, dense: false, 1, s, threads, shuffle: true);
        var checkDense = Train(log, "check dense", data, checkRows, dense: true, 1, s, threads, shuffle: true);
        double maxAbs = 0, maxParam = 0;
        int worst = -1;
        for (int i = 0; i < checkSparse.Parameters.Length; i++)
        {
            double d = Math.Abs((double)checkSparse.Parameters[i] - checkDense.Parameters[i]);
            if (d > maxAbs)
            {
                maxAbs = d;
                worst = i;
            }
            maxParam = Math.Max(maxParam, Math.Abs(checkDense.Parameters[i]));
        }

        string I(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        string F(double v, int d = 3) => v.ToString("F" + d.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        string Losses(TrainRun r) => string.Join(" ", r.Losses.Select(l => F(l, 4)));
        string Epochs(TrainRun r) => string.Join(" ", r.EpochSeconds.Select(e => F(e)));
        long parameters = (long)s.Features * s.Hidden + s.Hidden + s.Hidden * 10L + 10;

        log.WriteLine();
        log.WriteLine($"Sparse training: {I(s.Rows)} rows × {I(s.Features)} features ({F(100.0 * data.NonZeros / ((double)s.Rows * s.Features))} % non-zero, " +
                      $"{F((double)data.NonZeros / s.Rows, 1)} a row), {s.Features}→{s.Hidden} ReLU→10, {I(parameters)} parameters, Adam 1e-3, batch 128, shuffled, " +
                      $"{threads} thread(s); DataMode InMemory (CSR when the rows arrive sparse, dense rows otherwise).");
        log.WriteLine("s/epoch: mean of the epochs after the first (the first includes warm-up), or the only epoch.");
        log.WriteLine();
        log.WriteLine("| run | rows | features arrive as | epoch seconds | s/epoch | s/epoch per 1,000 rows | rows/s | training loss by epoch | Fit wall s (incl. loading) |");
        log.WriteLine("| --- | ---: | --- | --- | ---: | ---: | ---: | --- | ---: |");
        foreach (var r in new[] { full, subSparse, subDense })
            log.WriteLine($"| {r.Name} | {I(r.Rows)} | {(r.Dense ? "dense VBuffer (float[" + I(s.Features) + "])" : "sparse VBuffer")} | {Epochs(r)} | {F(r.SecondsPerEpoch)} | " +
                          $"{F(r.PerThousandRows, 4)} | {I(r.Rows / r.SecondsPerEpoch)} | {Losses(r)} | {F(r.FitSeconds, 1)} |");
        log.WriteLine();
        double ratio = subDense.PerThousandRows / subSparse.PerThousandRows;
        log.WriteLine($"Same {I(denseRows)} rows: densified ÷ sparse time per epoch = {F(ratio, 1)}× (target ≥ 10×: {(ratio >= 10 ? "met" : "NOT met")}).");
        long denseBytes = 4L * s.Rows * s.Features, available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        log.WriteLine($"Densified, all {I(s.Rows)} rows would hold {Gb(denseBytes)} of float32 ({(denseBytes > available ? "more than" : "within")} the {Gb(available)} available); at the subset's rate an epoch would take " +
                      $"≈ {F(subDense.PerThousandRows * s.Rows / 1000, 0)} s against the sparse {F(full.SecondsPerEpoch, 1)} s measured " +
                      $"({F(subDense.PerThousandRows * s.Rows / 1000 / full.SecondsPerEpoch, 1)}×, extrapolated).");
        log.WriteLine();
        log.WriteLine($"Same model: {I(checkRows)} rows, 1 epoch, seed {s.Seed}, shuffled, {threads} thread(s); sparse rows take the sparse first-layer kernels, " +
                      "densified rows the dense GEMM, so the sums are accumulated in a different order.");
        log.WriteLine();
        log.WriteLine("| parameters | max abs(Δ) sparse vs dense | at parameter | max abs(parameter) | training loss sparse | training loss dense | target |");
        log.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        log.WriteLine($"| {I(checkSparse.Parameters.Length)} | {maxAbs.ToString("G3", CultureInfo.InvariantCulture)} | {worst} | {F(maxParam, 4)} | " +
                      $"{checkSparse.Losses[0].ToString("G9", CultureInfo.InvariantCulture)} | {checkDense.Losses[0].ToString("G9", CultureInfo.InvariantCulture)} | " +
                      $"≤ 1e-5: {(maxAbs <= 1e-5 ? "met" : "NOT met")} |");
        return 0;
    }

    private static TrainRun Train(TextWriter log, string name, SparseTextData data, int rows, bool dense, int epochs, Settings s, int threads, bool shuffle)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var ml = new MLContext(s.Seed);
        var trainer = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [s.Hidden],
            NormalizeFeatures = false, // the fixed workload: the same features and every epoch, as the anchors train
            EarlyStopping = null,
            WeightInitialization = WeightInitialization.He,
            Optimizer = new AdamOptimizer { LearningRate = 1e-3f },
            BatchSize = 128,
            NumberOfEpochs = epochs,
            Shuffle = shuffle,
            Seed = s.Seed,
            NumberOfThreads = threads,
            DataMode = TrainingDataMode.InMemory,
        });
        var sw = Stopwatch.StartNew();
        var model = trainer.Fit(data.View(rows, dense));
        sw.Stop();
        var history = model.Model.TrainingHistory;
        var run = new TrainRun(name, rows, dense, history.Select(e => e.Duration.TotalSeconds).ToArray(), sw.Elapsed.TotalSeconds,
            history.Select(e => e.TrainingLoss).ToArray(), model.Model.GetParameters());
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {name}: {rows:N0} rows {(dense ? "dense" : "sparse")}, epochs {string.Join(" ", run.EpochSeconds.Select(e => e.ToString("F3", CultureInfo.InvariantCulture)))} s, " +
            $"loss {string.Join(" ", run.Losses.Select(l => l.ToString("F4", CultureInfo.InvariantCulture)))}, Fit {run.FitSeconds:F1} s; " +
            $"load average {Streaming.StreamingRunner.Load()}"));
        return run;
    }

    private static string Gb(long bytes) => (bytes / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " GB";
}
