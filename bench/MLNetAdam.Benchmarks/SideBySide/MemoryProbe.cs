using System.Diagnostics;
using System.Globalization;

namespace MLNetAdam.Benchmarks.SideBySide;

/// <summary>
/// Peak working set of the standard workload trained by MLNetAdam alone, in a fresh child process (no libtorch loaded):
/// working set after loading the data, and <see cref="Process.PeakWorkingSet64"/> (VmHWM) after <c>Fit</c>.
/// </summary>
internal static class MemoryProbe
{
    public sealed record Result(long TrainFeatureBytes, long AllFeatureBytes, long WorkingSetBeforeFit, long PeakBeforeFit, long PeakAfterFit, int Epochs, int Threads);

    public static Result MeasureInChild(int threads, int epochs)
    {
        var psi = ChildProcess.Self("memory", "--threads", threads.ToString(CultureInfo.InvariantCulture), "--epochs", epochs.ToString(CultureInfo.InvariantCulture));
        string[] f = ChildProcess.LastLine(ChildProcess.Run(psi, TimeSpan.FromMinutes(30)), "MEMORY ").Split('\t');
        long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return new Result(L(0), L(1), L(2), L(3), L(4), epochs, threads);
    }

    public static int ChildMain(int threads, int epochs)
    {
        var data = FashionMnist.Load();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        long before = self.WorkingSet64, peakBefore = self.PeakWorkingSet64;
        long peak = 0;
        MlNetAdamRunner.AfterFit = () =>
        {
            self.Refresh();
            peak = self.PeakWorkingSet64;
        };
        MlNetAdamRunner.Train(data, epochs, threads, seed: 1, out _);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"MEMORY {(long)data.TrainX.Length * sizeof(float)}\t{data.FeatureBytes}\t{before}\t{peakBefore}\t{peak}"));
        return 0;
    }
}
