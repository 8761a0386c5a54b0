using System.Diagnostics;
using Microsoft.ML;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks.Threads;

/// <summary>
/// `coldstart`: the first Fit of a digits-sized model in a fresh process against the second one in the same process
/// (the first pays for JIT compilation of the kernels). Each run is a child process; the median over runs is reported.
/// </summary>
internal static class ColdStartRunner
{
    public static int Run(int runs)
    {
        var first = new List<double>();
        var second = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!, [typeof(ColdStartRunner).Assembly.Location, "coldstart-child"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            using var child = Process.Start(start)!;
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            var parts = output.Trim().Split(' ');
            first.Add(double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
            second.Add(double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        double f = first.Order().ElementAt(runs / 2), s = second.Order().ElementAt(runs / 2);
        Console.WriteLine($"digits-sized Fit in a fresh process (1,500 × 64 → 64 → 10, batch 32, 30 epochs, 1 thread), median of {runs} processes: "
            + $"first {f * 1000:F0} ms, second {s * 1000:F0} ms, first ÷ second = {f / s:F2}");
        return 0;
    }

    public static int ChildMain()
    {
        var data = ThreadsRunner.DigitsSized();
        double Fit()
        {
            var ml = new MLContext(seed: 1);
            var options = new AdamMlpTrainer.Options { HiddenLayerSizes = [64], BatchSize = 32, NumberOfEpochs = 30, EarlyStopping = null, NumberOfThreads = 1, Seed = 1 };
            var clock = Stopwatch.StartNew();
            new AdamMlpTrainer(ml, options).Fit(data);
            return clock.Elapsed.TotalSeconds;
        }
        double first = Fit(), second = Fit();
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{first} {second}"));
        return 0;
    }
}
