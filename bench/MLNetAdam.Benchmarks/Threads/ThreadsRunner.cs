using System.Diagnostics;
using Microsoft.ML;
using MLNetAdam.Benchmarks.SideBySide;
using MLNetAdam.Numerics;
using MLNetAdam.Numerics.Kernels;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks.Threads;

/// <summary>
/// `threads`: whether a second thread pays. (1) The cost of one fork-join round of the worker pool and the GEMM size
/// at which two threads start to win (where the library's threshold comes from). (2) A digits-sized model
/// (1,500 × 64, hidden 64, batch 32, 30 epochs): 2-thread Fit ÷ 1-thread Fit. (3) The standard Fashion-MNIST workload,
/// quiet and while another process keeps one core busy: 2-thread epoch ÷ 1-thread epoch.
/// </summary>
internal static class ThreadsRunner
{
    public sealed class Settings
    {
        public int Epochs { get; init; } = 3;
        public int Rounds { get; init; } = 3;
        public bool Standard { get; init; } = true;
    }

    public static int Run(Settings s)
    {
        Console.WriteLine($"# threads: {Environment.ProcessorCount} cores, load {Load()}");
        Crossover();
        SmallModel(s.Rounds);
        if (s.Standard)
            StandardWorkload(s.Epochs);
        return 0;
    }

    // Fork-join round trip of an empty job, then GEMMs C (128 × n) = A (128 × k) · B (k × n) on 1 and 2 threads.
    private static void Crossover()
    {
        using var pool = new WorkerPool(2);
        var empty = new EmptyJob();
        for (int i = 0; i < 10_000; i++)
            pool.Run(empty);
        var clock = Stopwatch.StartNew();
        const int Rounds = 100_000;
        for (int i = 0; i < Rounds; i++)
            pool.Run(empty);
        Console.WriteLine($"fork-join round trip (2 threads, empty job): {clock.Elapsed.TotalMicroseconds / Rounds:F2} µs");
        Console.WriteLine("| m × k × n (multiply-adds) | 1 thread µs | 2 threads µs | 2 ÷ 1 |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (m, k, n) in new[] { (32, 64, 64), (32, 64, 128), (128, 64, 64), (128, 128, 128), (128, 256, 128), (128, 128, 256), (128, 784, 256), (32, 512, 512) })
        {
            var a = new float[m * k];
            var b = new float[k * n];
            var c = new float[m * n];
            new Random(1).NextBytes(new byte[1]);
            double one = Time(() => GemmKernel.Multiply(a, b, c, m, n, k, accumulate: false));
            double two = Time(() => GemmKernel.Multiply(pool, a, b, c, m, n, k, accumulate: false, force: true));
            Console.WriteLine($"| {m} × {k} × {n} ({(long)m * k * n:N0}) | {one:F1} | {two:F1} | {two / one:F2} |");
        }
        Console.WriteLine($"(The library splits a product only from {GemmKernel.ParallelThreshold:N0} multiply-adds on.)");
    }

    private static double Time(Action action)
    {
        for (int i = 0; i < 200; i++)
            action();
        var samples = new List<double>();
        for (int round = 0; round < 7; round++)
        {
            var clock = Stopwatch.StartNew();
            int n = 0;
            while (clock.Elapsed.TotalMilliseconds < 30)
            {
                action();
                n++;
            }
            samples.Add(clock.Elapsed.TotalMicroseconds / n);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }

    private sealed class EmptyJob : IParallelJob
    {
        public void Execute(int part, int parts)
        {
        }
    }

    private static void SmallModel(int rounds)
    {
        var data = DigitsSized();
        double Fit(int threads)
        {
            var ml = new MLContext(seed: 1);
            var options = new AdamMlpTrainer.Options { HiddenLayerSizes = [64], BatchSize = 32, NumberOfEpochs = 30, EarlyStopping = null, NumberOfThreads = threads, Seed = 1 };
            var clock = Stopwatch.StartNew();
            new AdamMlpTrainer(ml, options).Fit(data);
            return clock.Elapsed.TotalSeconds;
        }
        Fit(1);
        Fit(2);
        var one = new List<double>();
        var two = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            one.Add(Fit(1));
            two.Add(Fit(2));
        }
        double m1 = one.Order().ElementAt(rounds / 2), m2 = two.Order().ElementAt(rounds / 2);
        Console.WriteLine($"digits-sized Fit (1,500 × 64 → 64 → 10, batch 32, 30 epochs), median of {rounds}: 1 thread {m1:F3} s, 2 threads {m2:F3} s, 2 ÷ 1 = {m2 / m1:F2} (target ≤ 1.10); load {Load()}");
    }

    /// <summary>Synthetic data of the digits' size: 1,500 rows × 64 features 0..20, 10 classes.</summary>
    internal static ArrayDataView DigitsSized()
    {
        var random = new Random(3);
        const int Rows = 1500, Features = 64, Classes = 10;
        var x = new float[Rows * Features];
        var y = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            y[r] = r % Classes;
            for (int f = 0; f < Features; f++)
                x[r * Features + f] = (float)(random.NextDouble() * 16 + (f % Classes == y[r] ? 4 : 0));
        }
        return new ArrayDataView(x, y, Features, Classes);
    }

    private static void StandardWorkload(int epochs)
    {
        var data = FashionMnist.Load();
        var view = new ArrayDataView(data.TrainX, data.TrainY, FashionMnist.Features, FashionMnist.Classes);
        double Epoch(int threads)
        {
            var ml = new MLContext(seed: 1);
            var model = new AdamMlpTrainer(ml, MlNetAdamRunner.StandardOptions(epochs, threads, 1)).Fit(view).Model;
            var times = model.TrainingHistory.Skip(1).Select(h => h.Duration.TotalSeconds).Order().ToList();
            return times[times.Count / 2];
        }
        foreach (bool busy in new[] { false, true })
        {
            using var spinner = busy ? Process.Start(new ProcessStartInfo("sh", "-c \"while :; do :; done\"") { UseShellExecute = false }) : null;
            if (busy)
                Thread.Sleep(500);
            double one = Epoch(1), two = Epoch(2);
            Console.WriteLine($"standard workload ({(busy ? "another process keeps one core busy" : "quiet")}): 1 thread {one:F3} s/epoch, 2 threads {two:F3} s/epoch, 2 ÷ 1 = {two / one:F2} "
                + $"(target {(busy ? "≤ 1.10" : "≤ 0.60")}); load {Load()}");
            if (spinner is not null)
            {
                spinner.Kill(entireProcessTree: true);
                spinner.WaitForExit();
            }
        }
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
