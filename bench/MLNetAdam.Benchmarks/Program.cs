using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MLNetAdam.Benchmarks;
using MLNetAdam.Benchmarks.SideBySide;

// dotnet run -c Release --project bench/MLNetAdam.Benchmarks -- micro [BenchmarkDotNet arguments, e.g. --filter '*Gemm*']
// dotnet run -c Release --project bench/MLNetAdam.Benchmarks -- sidebyside [--threads 1,2] [--epochs 10] [...]
string mode = args.Length > 0 ? args[0] : "help";
string[] rest = args.Skip(1).ToArray();

string? Option(string name) => Array.IndexOf(rest, name) is int i and >= 0 && i + 1 < rest.Length ? rest[i + 1] : null;
bool Flag(string name) => rest.Contains(name);
int Int(string name, int fallback) => Option(name) is string v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
double Dbl(string name, double fallback) => Option(name) is string v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

switch (mode)
{
    case "micro":
        BenchmarkSwitcher.FromAssembly(typeof(MicroConfig).Assembly)
            .Run(rest.Length == 0 ? ["--filter", "*"] : rest, DefaultConfig.Instance);
        return 0;

    case "sidebyside":
        var settings = new SideBySideRunner.Settings
        {
            Epochs = Int("--epochs", 10),
            Rounds = Int("--rounds", 1),
            Seed = Int("--seed", 1),
            TorchSharp = !Flag("--no-torchsharp"),
            PyTorch = !Flag("--no-pytorch"),
            PyTorchBlasThreads = Int("--pytorch-blas-threads", 1),
            PredictSeconds = Dbl("--predict-seconds", 2),
            GemmSize = Int("--gemm-size", 2048),
            LbfgsIterations = Int("--lbfgs-iterations", 10),
            Memory = !Flag("--no-memory"),
        };
        if (Option("--threads") is string threads)
            settings.Threads = threads.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        else
            settings.Threads = new[] { 1, Environment.ProcessorCount }.Distinct().ToArray();
        return SideBySideRunner.Run(settings);

    // Child processes started by the side-by-side runner.
    case "gemm-peak":
        return OpenBlasPeak.ChildMain(Int("--threads", 1), Int("--size", 2048));
    case "memory":
        return MemoryProbe.ChildMain(Int("--threads", Environment.ProcessorCount), Int("--epochs", 2));

    default:
        Console.WriteLine("""
            MLNetAdam benchmarks (see bench/README.md)
              micro [BenchmarkDotNet args]      kernel micro-benchmarks (GEMM, activation, softmax-CE, Adam, training step)
              sidebyside [--threads 1,2] [--epochs 10] [--rounds 1] [--seed 1] [--no-torchsharp] [--no-pytorch]
                         [--pytorch-blas-threads 1] [--predict-seconds 2] [--gemm-size 2048] [--lbfgs-iterations 10] [--no-memory]
                                                MLNetAdam vs TorchSharp vs PyTorch on Fashion-MNIST
            """);
        return mode is "help" or "--help" or "-h" ? 0 : 2;
}
