using System.Globalization;
using System.Text.Json;

namespace MLNetAdam.Benchmarks.SideBySide;

/// <summary>Runs bench/pytorch_mlp.py (copied next to this program) with Debian's /usr/bin/python3 (PyTorch 1.13).</summary>
internal static class PyTorchRunner
{
    public sealed record Result(TrainResult Train, string Version, double PredictBatch1, double PredictBatch1000);

    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "pytorch_mlp.py");

    /// <param name="blasThreads">
    /// OPENBLAS_NUM_THREADS for the child. Debian's PyTorch runs its own OpenMP pool (torch.set_num_threads) and calls
    /// the pthread OpenBLAS, whose pool is another set of threads: with both at 2 on 2 cores they spin against each other
    /// and an epoch takes 3–15 s instead of 1 s. Default 1: GEMMs serial, the OpenMP pool does the rest, so no more than
    /// <paramref name="threads"/> threads run at once (OpenBLAS's advice for OpenMP applications).
    /// </param>
    public static Result Run(int threads, int epochs, int seed, double predictSeconds, int blasThreads = 1)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("PYTHON") ?? "/usr/bin/python3");
        foreach (string a in new[] { ScriptPath, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
                     "--seed", seed.ToString(CultureInfo.InvariantCulture), "--predict-seconds", predictSeconds.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        psi.Environment["OPENBLAS_NUM_THREADS"] = blasThreads.ToString(CultureInfo.InvariantCulture);
        string output = ChildProcess.Run(psi, TimeSpan.FromMinutes(30));
        string json = output.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        var epochsSeconds = r.GetProperty("epoch_seconds").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var train = new TrainResult("PyTorch", threads, epochsSeconds, r.GetProperty("wall_seconds").GetDouble(), r.GetProperty("test_accuracy").GetDouble())
        {
            CpuSeconds = r.TryGetProperty("cpu_seconds", out var c) ? c.GetDouble() : double.NaN,
        };
        double p1 = r.TryGetProperty("predict_batch1_rows_per_s", out var v1) ? v1.GetDouble() : double.NaN;
        double p1000 = r.TryGetProperty("predict_batch1000_rows_per_s", out var v2) ? v2.GetDouble() : double.NaN;
        return new Result(train, r.GetProperty("version").GetString() ?? "?", p1, p1000);
    }
}
