using System.Globalization;
using MLNetAdam.Model;
using System.Runtime.InteropServices;
using System.Text;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks.SideBySide;

/// <summary>
/// The side-by-side run of issue 5: the standard Fashion-MNIST workload trained by MLNetAdam and TorchSharp in this
/// process (alternating, same thread count) and by PyTorch in a subprocess, at each requested thread count; then
/// prediction throughput, the OpenBLAS sgemm peak, L-BFGS evaluations per second and the peak working set.
/// </summary>
internal static class SideBySideRunner
{
    /// <summary>6 × parameters × rows: forward (2) + backward (4) multiply-adds of one epoch, in FLOP.</summary>
    public const long Parameters = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10; // 235,146

    public sealed class Settings
    {
        public int[] Threads { get; set; } = [1, Environment.ProcessorCount];
        public int Epochs { get; set; } = 10;
        public int Rounds { get; set; } = 1;
        public int Seed { get; set; } = 1;
        public bool TorchSharp { get; set; } = true;
        public bool PyTorch { get; set; } = true;
        public int PyTorchBlasThreads { get; set; } = 1;
        public double PredictSeconds { get; set; } = 2;
        public int GemmSize { get; set; } = 2048;
        public int LbfgsIterations { get; set; } = 10;
        public bool Memory { get; set; } = true;
    }

    private sealed record ThreadRun(int Threads, TrainResult MlNet, TrainResult? Torch, PyTorchRunner.Result? Py,
        double OneRow, double Bulk, double TorchBatch1, double TorchBatch1000);

    public static int Run(Settings s)
    {
        var log = Console.Out;
        var started = DateTime.Now;
        log.WriteLine($"# side-by-side: {s.Epochs} epochs, {s.Rounds} round(s), threads {string.Join(",", s.Threads)}, seed {s.Seed}");
        log.WriteLine($"# {RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}; {Environment.ProcessorCount} logical cores; {CpuName()}");
        log.WriteLine($"# MLNetAdam {typeof(AdamMlpTrainer).Assembly.GetName().Version}");
        log.WriteLine($"# Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}");

        var data = FashionMnist.Load();
        log.WriteLine($"# Fashion-MNIST: {data.TrainRows} train / {data.TestRows} test rows, {FashionMnist.Features} features; float32 features {Mb(data.FeatureBytes)}");

        string torchVersion = "";
        if (s.TorchSharp)
        {
            torchVersion = TorchSharpRunner.Initialize(log);
            log.WriteLine($"# {torchVersion}");
        }

        var mlRounds = s.Threads.ToDictionary(t => t, _ => new List<TrainResult>());
        var torchRounds = s.Threads.ToDictionary(t => t, _ => new List<TrainResult>());
        var pyRounds = s.Threads.ToDictionary(t => t, _ => new List<PyTorchRunner.Result>());
        var mlModels = new Dictionary<int, AdamMlpTransformer>();
        var torchModels = new Dictionary<int, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>>();
        for (int round = 0; round < s.Rounds; round++)
        {
            for (int ti = 0; ti < s.Threads.Length; ti++)
            {
                int t = s.Threads[ti];
                string tag = s.Rounds > 1 ? $"round {round + 1}/{s.Rounds}, " : "";
                // Alternate which one goes first, so a slow drift of the shared machine does not favour one side.
                bool mlFirst = (round + ti) % 2 == 0;
                for (int k = 0; k < 2; k++)
                {
                    if ((k == 0) == mlFirst)
                    {
                        log.WriteLine($"# [{Elapsed(started)}] {tag}MLNetAdam training, {t} thread(s)...");
                        var ml = MlNetAdamRunner.Train(data, s.Epochs, t, s.Seed + round, out var m) with { LoadAfter = LoadAverage() };
                        mlModels[t] = m;
                        mlRounds[t].Add(ml);
                        log.WriteLine($"#   epochs (s): {Join(ml.EpochSeconds)}; CPU/wall {ml.CpuSeconds / ml.WallSeconds:F2}; load {ml.LoadAfter:F2}; accuracy {ml.TestAccuracy:F4}");
                    }
                    else if (s.TorchSharp)
                    {
                        log.WriteLine($"# [{Elapsed(started)}] {tag}TorchSharp training, {t} thread(s)...");
                        var torch = TorchSharpRunner.Train(data, s.Epochs, t, s.Seed + round, out var m) with { LoadAfter = LoadAverage() };
                        if (torchModels.TryGetValue(t, out var old))
                            old.Dispose();
                        torchModels[t] = m;
                        torchRounds[t].Add(torch);
                        log.WriteLine($"#   epochs (s): {Join(torch.EpochSeconds)}; CPU/wall {torch.CpuSeconds / torch.WallSeconds:F2}; load {torch.LoadAfter:F2}; accuracy {torch.TestAccuracy:F4}");
                    }
                }
                if (s.PyTorch)
                {
                    log.WriteLine($"# [{Elapsed(started)}] {tag}PyTorch (subprocess) training, {t} thread(s)...");
                    try
                    {
                        var py = PyTorchRunner.Run(t, s.Epochs, s.Seed + round, round == s.Rounds - 1 ? s.PredictSeconds : 0, s.PyTorchBlasThreads);
                        py = py with { Train = py.Train with { LoadAfter = LoadAverage() } };
                        pyRounds[t].Add(py);
                        log.WriteLine($"#   torch {py.Version}, epochs (s): {Join(py.Train.EpochSeconds)}; CPU/wall {py.Train.CpuSeconds / py.Train.WallSeconds:F2}; load {py.Train.LoadAfter:F2}; accuracy {py.Train.TestAccuracy:F4}");
                    }
                    catch (Exception e)
                    {
                        log.WriteLine($"#   PyTorch failed: {e.Message.Split('\n')[0]}");
                    }
                }
            }
        }

        var runs = new List<ThreadRun>();
        foreach (int t in s.Threads)
        {
            log.WriteLine($"# [{Elapsed(started)}] prediction throughput, {t} thread(s)...");
            var mlModel = mlModels[t];
            torchModels.TryGetValue(t, out var torchModel);
            double oneRow = MlNetAdamRunner.PredictOneRow(mlModel, data, s.PredictSeconds);
            double tb1 = torchModel is null ? double.NaN : TorchSharpRunner.Predict(torchModel, data, 1, t, s.PredictSeconds);
            double bulk = MlNetAdamRunner.PredictBulk(mlModel, data, s.PredictSeconds);
            double tb1000 = torchModel is null ? double.NaN : TorchSharpRunner.Predict(torchModel, data, 1000, t, s.PredictSeconds);
            torchModel?.Dispose();
            PyTorchRunner.Result? py = null;
            if (pyRounds[t].Count > 0)
            {
                var last = pyRounds[t][^1];
                py = last with { Train = TrainResult.Pool(pyRounds[t].Select(r => r.Train).ToList()) };
            }
            runs.Add(new ThreadRun(t, TrainResult.Pool(mlRounds[t]), torchRounds[t].Count > 0 ? TrainResult.Pool(torchRounds[t]) : null, py, oneRow, bulk, tb1, tb1000));
        }

        var peaks = new Dictionary<int, OpenBlasPeak.Result>();
        if (s.GemmSize > 0)
        {
            foreach (int t in s.Threads)
            {
                log.WriteLine($"# [{Elapsed(started)}] OpenBLAS sgemm {s.GemmSize}³ peak, {t} thread(s) (child process, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset)...");
                try
                {
                    peaks[t] = OpenBlasPeak.MeasureInChild(t, s.GemmSize);
                }
                catch (Exception e)
                {
                    log.WriteLine($"#   failed: {e.Message.Split('\n')[0]}");
                }
            }
        }

        var lbfgs = new Dictionary<int, (double PerSecond, int Evaluations, double Seconds)>();
        if (s.LbfgsIterations > 0)
        {
            foreach (int t in s.Threads)
            {
                log.WriteLine($"# [{Elapsed(started)}] L-BFGS full batch, {s.LbfgsIterations} iterations, {t} thread(s)...");
                lbfgs[t] = MlNetAdamRunner.Lbfgs(data, s.LbfgsIterations, t, s.Seed);
            }
        }

        MemoryProbe.Result? memory = null;
        if (s.Memory)
        {
            int t = s.Threads.Max();
            log.WriteLine($"# [{Elapsed(started)}] peak working set (child process, MLNetAdam only, {t} thread(s), 2 epochs)...");
            try
            {
                memory = MemoryProbe.MeasureInChild(t, 2);
            }
            catch (Exception e)
            {
                log.WriteLine($"#   failed: {e.Message.Split('\n')[0]}");
            }
        }

        log.WriteLine($"# [{Elapsed(started)}] done.");
        log.WriteLine();
        log.Write(Tables(s, runs, peaks, lbfgs, memory, torchVersion));
        return 0;
    }

    private static string Tables(Settings s, List<ThreadRun> runs, Dictionary<int, OpenBlasPeak.Result> peaks,
        Dictionary<int, (double PerSecond, int Evaluations, double Seconds)> lbfgs, MemoryProbe.Result? memory, string torchVersion)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        double epochGflop = 6.0 * Parameters * 60000 / 1e9;
        string range = s.Epochs > 1 ? $"median of epochs 2–{s.Epochs}" : "epoch 1";
        sb.AppendLine(ci, $"Training: Fashion-MNIST 60,000 rows, 784→256→128→10 ReLU, Adam 1e-3, batch 128, shuffled, {s.Epochs} epochs ({epochGflop:F1} GFLOP per epoch).");
        if (s.Rounds > 1)
            sb.AppendLine(ci, $"{s.Rounds} rounds (seeds {s.Seed}..{s.Seed + s.Rounds - 1}), alternating; epoch times pooled over the rounds' epochs 2–{s.Epochs}, accuracy averaged.");
        sb.AppendLine("CPU ÷ wall: process CPU time over the whole training call (data preparation included) ÷ its wall time; ≈ the number of busy cores. Load after: the machine's 1-minute load average after the run (this run included; more than the thread count means other work competed).");
        sb.AppendLine(ci, $"PyTorch: torch.set_num_threads(threads), OPENBLAS_NUM_THREADS={s.PyTorchBlasThreads} (Debian's pthread OpenBLAS pool and PyTorch's OpenMP pool oversubscribe the cores otherwise).");
        sb.AppendLine();
        sb.AppendLine(ci, $"| threads | implementation | s/epoch ({range}) | best epoch s | samples/s | GFLOP/s | CPU ÷ wall | load after | test accuracy | MLNetAdam ÷ this (time) |");
        sb.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in runs)
        {
            void Row(TrainResult? x)
            {
                if (x is null)
                    return;
                double sec = x.MedianEpochSeconds;
                sb.AppendLine(ci, $"| {r.Threads} | {x.Name} | {sec:F3} | {x.BestEpochSeconds:F3} | {60000 / sec:N0} | {epochGflop / sec:F1} | {x.CpuSeconds / x.WallSeconds:F2} | {x.LoadAfter:F2} | {x.TestAccuracy:F4} | {r.MlNet.MedianEpochSeconds / sec:F2} |");
            }
            Row(r.MlNet);
            Row(r.Torch);
            Row(r.Py?.Train);
        }
        sb.AppendLine();
        sb.AppendLine("Prediction throughput over the 10,000 test rows, rows/s (managed float arrays in, probabilities and class out):");
        sb.AppendLine();
        sb.AppendLine("| threads | MLNetAdam PredictionEngine, 1 row | MLNetAdam Transform, 10k | TorchSharp batch 1 | TorchSharp batch 1000 | PyTorch batch 1 | PyTorch batch 1000 | 1-row ÷ TorchSharp batch 1 |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in runs)
            sb.AppendLine(ci, $"| {r.Threads} | {r.OneRow:N0} | {r.Bulk:N0} | {N(r.TorchBatch1)} | {N(r.TorchBatch1000)} | {N(r.Py?.PredictBatch1 ?? double.NaN)} | {N(r.Py?.PredictBatch1000 ?? double.NaN)} | {r.OneRow / r.TorchBatch1:F2} |");
        if (peaks.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(ci, $"GEMM peak: OpenBLAS cblas_sgemm {s.GemmSize}³ (libopenblas.so.0, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset), vs MLNetAdam's training throughput:");
            sb.AppendLine();
            sb.AppendLine("| threads | OpenBLAS core | sgemm best GFLOP/s | sgemm median GFLOP/s | MLNetAdam training GFLOP/s | fraction of best |");
            sb.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: |");
            foreach (var r in runs)
            {
                if (!peaks.TryGetValue(r.Threads, out var p))
                    continue;
                double train = epochGflop / r.MlNet.MedianEpochSeconds;
                sb.AppendLine(ci, $"| {r.Threads} | {p.Core} | {p.BestGflops:F1} | {p.MedianGflops:F1} | {train:F1} | {train / p.BestGflops:P1} |");
            }
        }
        if (lbfgs.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("L-BFGS (MLNetAdam, full batch over 60,000 rows, strong-Wolfe line search): loss-and-gradient evaluations per second:");
            sb.AppendLine();
            sb.AppendLine("| threads | evaluations | seconds | evaluations/s | GFLOP/s (6 × params × rows per evaluation) |");
            sb.AppendLine("| ---: | ---: | ---: | ---: | ---: |");
            foreach (var (t, l) in lbfgs)
                sb.AppendLine(ci, $"| {t} | {l.Evaluations} | {l.Seconds:F2} | {l.PerSecond:F2} | {l.PerSecond * epochGflop:F1} |");
        }
        if (memory is not null)
        {
            sb.AppendLine();
            sb.AppendLine(ci, $"Memory (MLNetAdam alone in a fresh process, {memory.Threads} thread(s), {memory.Epochs} epochs; the bench itself holds the train and test features as float32 arrays, which the IDataView reads without copying):");
            sb.AppendLine();
            sb.AppendLine("| train features float32 | train + test float32 | working set after loading | peak working set during Fit | peak − before Fit | (peak − before) ÷ train data |");
            sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
            long grow = memory.PeakAfterFit - memory.WorkingSetBeforeFit;
            sb.AppendLine(ci, $"| {Mb(memory.TrainFeatureBytes)} | {Mb(memory.AllFeatureBytes)} | {Mb(memory.WorkingSetBeforeFit)} | {Mb(memory.PeakAfterFit)} | {Mb(grow)} | {(double)grow / memory.TrainFeatureBytes:F2} |");
        }
        sb.AppendLine();
        sb.AppendLine("Targets (issue 5):");
        foreach (var r in runs)
        {
            double m = r.MlNet.MedianEpochSeconds;
            if (r.Torch is not null)
                sb.AppendLine(ci, $"- {r.Threads} thread(s): epoch time MLNetAdam/TorchSharp = {m / r.Torch.MedianEpochSeconds:F3} (target ≤ 0.60) {Mark(m / r.Torch.MedianEpochSeconds <= 0.6)}; accuracy {r.MlNet.TestAccuracy - r.Torch.TestAccuracy:+0.0000;-0.0000} vs TorchSharp (target within ±0.005) {Mark(Math.Abs(r.MlNet.TestAccuracy - r.Torch.TestAccuracy) <= 0.005)}");
            if (r.Py is not null)
                sb.AppendLine(ci, $"- {r.Threads} thread(s): epoch time MLNetAdam/PyTorch = {m / r.Py.Train.MedianEpochSeconds:F3} (target ≤ 0.60) {Mark(m / r.Py.Train.MedianEpochSeconds <= 0.6)}; accuracy {r.MlNet.TestAccuracy - r.Py.Train.TestAccuracy:+0.0000;-0.0000} vs PyTorch {Mark(Math.Abs(r.MlNet.TestAccuracy - r.Py.Train.TestAccuracy) <= 0.005)}");
            if (peaks.TryGetValue(r.Threads, out var p))
                sb.AppendLine(ci, $"- {r.Threads} thread(s): training GFLOP/s ÷ sgemm peak = {epochGflop / m / p.BestGflops:P1} (target ≥ 60%) {Mark(epochGflop / m / p.BestGflops >= 0.6)}");
            if (r.Torch is not null)
                sb.AppendLine(ci, $"- {r.Threads} thread(s): one-row prediction ÷ TorchSharp batch 1 = {r.OneRow / r.TorchBatch1:F3} (target ≥ 3) {Mark(r.OneRow / r.TorchBatch1 >= 3)}");
        }
        sb.AppendLine("- Timings are wall-clock on a shared machine; other processes may have run meanwhile. Compare ratios within one run.");
        return sb.ToString();
    }

    private static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    private static string Mark(bool ok) => ok ? "met" : "NOT met";

    private static string N(double v) => double.IsNaN(v) ? "–" : v.ToString("N0", CultureInfo.InvariantCulture);

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MiB";

    private static string Join(double[] v) => string.Join(" ", v.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)));

    private static string Elapsed(DateTime since) => (DateTime.Now - since).ToString(@"mm\:ss", CultureInfo.InvariantCulture);

    private static string CpuName()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
