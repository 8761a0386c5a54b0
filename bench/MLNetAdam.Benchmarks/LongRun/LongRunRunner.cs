using System.Diagnostics;
using Microsoft.ML;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks.LongRun;

/// <summary>
/// `longrun`: 1,000 epochs on small data with a checkpoint written after every epoch. Samples the process's working
/// set, managed heap and open file descriptors along the way: all must stay flat (no leak per epoch or per checkpoint).
/// </summary>
internal static class LongRunRunner
{
    public static int Run(int epochs)
    {
        var random = new Random(1);
        const int Rows = 600, Features = 16, Classes = 4;
        var x = new float[Rows * Features];
        var y = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            y[r] = r % Classes;
            for (int f = 0; f < Features; f++)
                x[r * Features + f] = (float)(random.NextDouble() + (f % Classes == y[r] ? 1 : 0));
        }
        string folder = Directory.CreateTempSubdirectory("mlnetadam-longrun-").FullName;
        var samples = new List<(int Epoch, long WorkingSet, long Heap, int Handles)>();
        var sampleAt = new HashSet<int> { 1, 10, 100, 250, 500, 750, epochs };
        var clock = Stopwatch.StartNew();
        try
        {
            var ml = new MLContext(seed: 1);
            var options = new AdamMlpTrainer.Options
            {
                HiddenLayerSizes = [32],
                BatchSize = 64,
                NumberOfEpochs = epochs,
                EarlyStopping = null,
                CheckpointPath = Path.Combine(folder, "run.ckpt"),
                CheckpointPeriod = 1,
                NumberOfThreads = 1,
                Progress = new Sampler(p =>
                {
                    if (p.IsEpochEnd && sampleAt.Contains(p.Epoch))
                    {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        using var self = Process.GetCurrentProcess();
                        samples.Add((p.Epoch, self.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true), Directory.GetFiles("/proc/self/fd").Length));
                    }
                }),
            };
            new AdamMlpTrainer(ml, options).Fit(new ArrayDataView(x, y, Features, Classes));
            Console.WriteLine($"longrun: {epochs} epochs of {Rows} × {Features} → 32 → {Classes}, a checkpoint after every epoch, {clock.Elapsed.TotalSeconds:F1} s; "
                + $"{Directory.GetFiles(folder).Length} file(s) left in the checkpoint folder");
            Console.WriteLine("| epoch | working set MiB | managed heap KiB | open file descriptors |");
            Console.WriteLine("| ---: | ---: | ---: | ---: |");
            foreach (var (epoch, ws, heap, handles) in samples)
                Console.WriteLine($"| {epoch} | {ws / (1 << 20):F1} | {heap / 1024:N0} | {handles} |");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Sampler(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
