using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML;
using MLNetAdam.Benchmarks.SideBySide;
using MLNetAdam.Optimizers;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks.Streaming;

/// <summary>
/// Issue 5, requirement 8: data larger than memory. Writes a synthetic binary <c>.idv</c> file (rows × 784 float32 and a
/// key label) with <c>SaveAsBinary</c> from a view that generates the rows on the fly, then trains on it with
/// <c>DataMode = Streaming</c> in a fresh child process (so <see cref="Process.PeakWorkingSet64"/> is the training's own),
/// and, for comparison, on the first rows materialized with <c>DataMode = InMemory</c>. Deletes the file unless asked not to.
/// </summary>
internal static class StreamingRunner
{
    public sealed class Settings
    {
        public long Rows { get; set; } = 2_000_000;
        public int Features { get; set; } = 784;
        public int Epochs { get; set; } = 1;
        public int Buffer { get; set; } = 10_000;
        public int InMemoryRows { get; set; } = 200_000;
        public int? Threads { get; set; }
        public string? Directory { get; set; }
        /// <summary>An existing .idv file to train on instead of writing one (never deleted).</summary>
        public string? File { get; set; }
        public bool Keep { get; set; }
        /// <summary>Pixels quantized to k/255 (the binary saver's compression shrinks the file to a third, but writes it at half the speed) instead of full float32 noise.</summary>
        public bool Quantized { get; set; }
        public int Seed { get; set; } = 1;
    }

    private sealed record ChildResult(string Mode, long Rows, double[] EpochSeconds, double FitSeconds, long WorkingSetBefore, long PeakBefore,
        long Peak, double[] Losses, double CpuSeconds)
    {
        public double RowsPerSecond => Rows * EpochSeconds.Length / EpochSeconds.Sum();
    }

    public static int Run(Settings s)
    {
        var log = Console.Out;
        int threads = s.Threads ?? Environment.ProcessorCount;
        log.WriteLine($"# streaming: {s.Rows:N0} rows × {s.Features} features, hidden [256, 128], Adam 1e-3, batch 128, {s.Epochs} epoch(s), " +
                      $"shuffle buffer {s.Buffer:N0} rows, {threads} thread(s), seed {s.Seed}");
        log.WriteLine($"# {RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}; {Environment.ProcessorCount} logical cores; " +
                      $"{Gb(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes)} available to .NET");

        string file;
        string? folder = null;
        double writeSeconds = double.NaN;
        long floatBytes = s.Rows * s.Features * 4L;
        if (s.File is not null)
        {
            file = Path.GetFullPath(s.File);
            log.WriteLine($"# using the existing file {file} ({Gb(new FileInfo(file).Length)}); it is not deleted");
        }
        else
        {
            string root = Path.GetFullPath(s.Directory ?? Path.GetTempPath());
            System.IO.Directory.CreateDirectory(root);
            // Upper bound of the file: every float and label uncompressed (the binary saver compresses blocks).
            long estimate = s.Rows * (s.Features * 4L + 4);
            var drive = new DriveInfo(root);
            log.WriteLine($"# free disk at {root}: {Gb(drive.AvailableFreeSpace)} (filesystem {drive.Name}); the file takes at most {Gb(estimate)}, " +
                          $"need {Gb(2 * estimate)} (2×)");
            if (drive.AvailableFreeSpace < 2 * estimate)
            {
                log.WriteLine($"Not enough free disk space at {root}: {Gb(drive.AvailableFreeSpace)} free, {Gb(2 * estimate)} needed " +
                              "(2 × the file's size). Use --dir for another folder, or fewer --rows. Stopping.");
                return 1;
            }
            folder = Path.Combine(root, $"mlnetadam-streaming-{Environment.ProcessId}");
            System.IO.Directory.CreateDirectory(folder);
            file = Path.Combine(folder, "synthetic.idv");
        }

        try
        {
            if (s.File is null)
            {
                var ml = new MLContext(s.Seed);
                var view = new SyntheticImageView(s.Rows, s.Features, s.Seed, quantized: s.Quantized);
                var sw = Stopwatch.StartNew();
                using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                    ml.Data.SaveAsBinary(view, stream);
                writeSeconds = sw.Elapsed.TotalSeconds;
                using var self = Process.GetCurrentProcess();
                self.Refresh();
                log.WriteLine($"# wrote {file}: {Gb(new FileInfo(file).Length)} in {writeSeconds:F1} s ({s.Rows / writeSeconds:N0} rows/s); " +
                              $"the writer's peak working set {Gb(self.PeakWorkingSet64)}; load average {Load()}");
            }
            long fileBytes = new FileInfo(file).Length;

            var streamed = RunChild(log, file, "streaming", 0, s, threads);
            var inMemory = s.InMemoryRows > 0 ? RunChild(log, file, "inmemory", s.InMemoryRows, s, threads) : null;

            string I(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
            string F(double v, int d = 3) => v.ToString("F" + d.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            log.WriteLine();
            log.WriteLine($"Data larger than memory: a synthetic binary .idv file of {I(streamed.Rows)} rows × {s.Features} float32 features " +
                          $"{(s.File is not null ? "" : s.Quantized ? "(pixel-like, k/255) " : "(continuous values) ")}+ a key label " +
                          $"(float32 features {Gb(streamed.Rows * s.Features * 4L)}; file on disk {Gb(fileBytes)}{(double.IsNaN(writeSeconds) ? "" : $", written by SaveAsBinary in {F(writeSeconds, 0)} s")}), " +
                          $"read with LoadFromBinary; {s.Features}→256 ReLU→128 ReLU→10, Adam 1e-3, batch 128, {s.Epochs} epoch(s), {threads} thread(s). " +
                          "Each run in a fresh child process; peak = Process.PeakWorkingSet64 (VmHWM) after Fit.");
            log.WriteLine($"Streaming: every epoch reads the file through a cursor and a seeded {I(s.Buffer)}-row shuffle buffer, so the order is only locally shuffled. " +
                          (inMemory is null ? "" : $"In memory: the first {I(s.InMemoryRows)} rows (TakeRows) read once into float32 rows and reshuffled exactly."));
            log.WriteLine();
            log.WriteLine("| DataMode | rows | float32 features | epoch seconds | rows/s | CPU ÷ wall | training loss by epoch | working set before Fit | peak working set | peak ÷ float32 features | peak ÷ file |");
            log.WriteLine("| --- | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
            foreach (var r in new[] { streamed, inMemory })
            {
                if (r is null)
                    continue;
                long bytes = r.Rows * s.Features * 4L;
                log.WriteLine($"| {(r.Mode == "streaming" ? "Streaming" : "InMemory")} | {I(r.Rows)} | {Gb(bytes)} | {string.Join(" ", r.EpochSeconds.Select(e => F(e, 1)))} | " +
                              $"{I(r.RowsPerSecond)} | {F(r.CpuSeconds / r.FitSeconds, 2)} | {string.Join(" ", r.Losses.Select(l => F(l, 4)))} | {Mib(r.WorkingSetBefore)} | {Mib(r.Peak)} | " +
                              $"{F((double)r.Peak / bytes, 3)} | {F((double)r.Peak / fileBytes, 3)} |");
            }
            log.WriteLine();
            log.WriteLine($"Streaming peak working set {Mib(streamed.Peak)} for {Gb(streamed.Rows * s.Features * 4L)} of float32 features (target < 1 GB: " +
                          $"{(streamed.Peak < 1_000_000_000 ? "met" : "NOT met")}).");
            if (inMemory is not null)
                log.WriteLine($"Throughput streaming ÷ in memory: {F(streamed.RowsPerSecond / inMemory.RowsPerSecond, 2)}.");
            return 0;
        }
        finally
        {
            if (folder is not null)
            {
                if (s.Keep)
                    log.WriteLine($"# kept {file}");
                else
                {
                    System.IO.Directory.Delete(folder, recursive: true);
                    log.WriteLine($"# deleted {folder}");
                }
            }
        }
    }

    private static ChildResult RunChild(TextWriter log, string file, string mode, int take, Settings s, int threads)
    {
        var psi = ChildProcess.Self("streaming-train", "--file", file, "--mode", mode, "--take", take.ToString(CultureInfo.InvariantCulture),
            "--epochs", s.Epochs.ToString(CultureInfo.InvariantCulture), "--buffer", s.Buffer.ToString(CultureInfo.InvariantCulture),
            "--threads", threads.ToString(CultureInfo.InvariantCulture), "--seed", s.Seed.ToString(CultureInfo.InvariantCulture));
        var sw = Stopwatch.StartNew();
        string[] f = ChildProcess.LastLine(ChildProcess.Run(psi, TimeSpan.FromHours(2)), "STREAMTRAIN ").Split('\t');
        double[] Doubles(string v) => v.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        var r = new ChildResult(f[0], L(1), Doubles(f[2]), double.Parse(f[3], CultureInfo.InvariantCulture), L(4), L(5), L(6), Doubles(f[7]),
            double.Parse(f[8], CultureInfo.InvariantCulture));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {mode}: {r.Rows:N0} rows, epochs {string.Join(" ", r.EpochSeconds.Select(e => e.ToString("F1", CultureInfo.InvariantCulture)))} s, " +
            $"{r.RowsPerSecond:N0} rows/s, peak {Mib(r.Peak)}, Fit {r.FitSeconds:F1} s, child {sw.Elapsed.TotalSeconds:F0} s; load average {Load()}"));
        return r;
    }

    /// <summary>The child: trains on the file (streamed, or its first <paramref name="take"/> rows in memory) and prints the result line.</summary>
    public static int ChildMain(string file, string mode, int take, int epochs, int buffer, int threads, int seed)
    {
        var ml = new MLContext(seed);
        IDataView data = ml.Data.LoadFromBinary(file);
        long rows = data.GetRowCount() ?? throw new InvalidDataException($"{file} does not say how many rows it holds.");
        bool streaming = mode == "streaming";
        if (!streaming)
        {
            data = ml.Data.TakeRows(data, take);
            rows = Math.Min(rows, take);
        }
        var trainer = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
        {
            HiddenLayerSizes = [256, 128],
            NormalizeFeatures = false, // the fixed workload: the same features and every epoch, as the anchors train
            EarlyStopping = null,
            WeightInitialization = WeightInitialization.He,
            Optimizer = new AdamOptimizer { LearningRate = 1e-3f },
            BatchSize = 128,
            NumberOfEpochs = epochs,
            Shuffle = true,
            Seed = seed,
            NumberOfThreads = threads,
            DataMode = streaming ? TrainingDataMode.Streaming : TrainingDataMode.InMemory,
            ShuffleBufferSize = buffer,
        });
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        long before = self.WorkingSet64, peakBefore = self.PeakWorkingSet64;
        var cpu = self.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var model = trainer.Fit(data);
        sw.Stop();
        self.Refresh();
        long peak = self.PeakWorkingSet64;
        double cpuSeconds = (self.TotalProcessorTime - cpu).TotalSeconds;
        var history = model.Model.TrainingHistory;
        string J(IEnumerable<double> v) => string.Join(" ", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"STREAMTRAIN {mode}\t{rows}\t{J(history.Select(e => e.Duration.TotalSeconds))}\t{sw.Elapsed.TotalSeconds:R}\t{before}\t{peakBefore}\t{peak}\t{J(history.Select(e => e.TrainingLoss))}\t{cpuSeconds:R}"));
        return 0;
    }

    /// <summary>/proc/loadavg's 1-, 5- and 15-minute load averages (other work on the machine competes with the timings).</summary>
    internal static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string Gb(long bytes) => (bytes / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " GB";

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MiB";
}
