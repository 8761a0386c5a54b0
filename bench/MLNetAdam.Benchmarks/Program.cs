using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MLNetAdam.Benchmarks;
using MLNetAdam.Benchmarks.SideBySide;
using MLNetAdam.Benchmarks.Sparse;
using MLNetAdam.Benchmarks.Streaming;
using MLNetAdam.Benchmarks.LongRun;
using MLNetAdam.Benchmarks.Text;
using MLNetAdam.Benchmarks.Threads;

// dotnet run -c Release --project bench/MLNetAdam.Benchmarks -- micro [BenchmarkDotNet arguments, e.g. --filter '*Gemm*']
// dotnet run -c Release --project bench/MLNetAdam.Benchmarks -- sidebyside [--threads 1,2] [--epochs 10] [...]
// dotnet run -c Release --project bench/MLNetAdam.Benchmarks -- sparse [--rows 100000] [--features 100000] [--nnz 100] [...]
// dotnet run -c Release --project bench/MLNetAdam.Benchmarks -- streaming [--rows 2000000] [--epochs 1] [--buffer 10000] [--keep]
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

    case "sparse":
        return SparseRunner.Run(new SparseRunner.Settings
        {
            Rows = Int("--rows", 100_000),
            Features = Int("--features", 100_000),
            NonZeros = Int("--nnz", 100),
            Hidden = Int("--hidden", 100),
            Epochs = Int("--epochs", 2),
            DenseRows = Int("--dense-rows", 5_000),
            CheckRows = Int("--check-rows", 2_000),
            Threads = Option("--threads") is null ? null : Int("--threads", 0),
            Seed = Int("--seed", 1),
        });

    case "streaming":
        return StreamingRunner.Run(new StreamingRunner.Settings
        {
            Rows = Option("--rows") is string r ? long.Parse(r, CultureInfo.InvariantCulture) : 2_000_000,
            Features = Int("--features", 784),
            Epochs = Int("--epochs", 1),
            Buffer = Int("--buffer", 10_000),
            InMemoryRows = Int("--in-memory-rows", 200_000),
            Threads = Option("--threads") is null ? null : Int("--threads", 0),
            Directory = Option("--dir"),
            File = Option("--file"),
            Keep = Flag("--keep"),
            Quantized = Flag("--quantized"),
            Seed = Int("--seed", 1),
        });

    case "threads":
        return ThreadsRunner.Run(new ThreadsRunner.Settings
        {
            Epochs = Int("--epochs", 3),
            Rounds = Int("--rounds", 3),
            Standard = !Flag("--no-standard"),
        });

    case "longrun":
        return LongRunRunner.Run(Int("--epochs", 1000));

    case "coldstart":
        return ColdStartRunner.Run(Int("--runs", 5));
    case "coldstart-child":
        return ColdStartRunner.ChildMain();

    case "text":
        return TextRunner.Run(new TextRunner.Settings
        {
            Epochs = Int("--epochs", 10),
            Hidden = Int("--hidden", 64),
            Threads = Option("--threads") is null ? null : Int("--threads", 0),
            Seconds = Dbl("--seconds", 2),
            Seed = Int("--seed", 1),
            Normalize = !Flag("--no-normalize"),
        });

    // Child processes started by the side-by-side and streaming runners.
    case "gemm-peak":
        return OpenBlasPeak.ChildMain(Int("--threads", 1), Int("--size", 2048));
    case "memory":
        return MemoryProbe.ChildMain(Int("--threads", Environment.ProcessorCount), Int("--epochs", 2));
    case "streaming-train":
        return StreamingRunner.ChildMain(Option("--file")!, Option("--mode")!, Int("--take", 0), Int("--epochs", 1), Int("--buffer", 10_000),
            Int("--threads", Environment.ProcessorCount), Int("--seed", 1));

    default:
        Console.WriteLine("""
            MLNetAdam benchmarks (see bench/README.md)
              micro [BenchmarkDotNet args]      kernel micro-benchmarks (GEMM, activation, softmax-CE, Adam, training step)
              sidebyside [--threads 1,2] [--epochs 10] [--rounds 1] [--seed 1] [--no-torchsharp] [--no-pytorch]
                         [--pytorch-blas-threads 1] [--predict-seconds 2] [--gemm-size 2048] [--lbfgs-iterations 10] [--no-memory]
                                                MLNetAdam vs TorchSharp vs PyTorch on Fashion-MNIST
              sparse [--rows 100000] [--features 100000] [--nnz 100] [--hidden 100] [--epochs 2] [--dense-rows 5000]
                     [--check-rows 2000] [--threads n] [--seed 1]
                                                sparse text-like rows vs the same rows densified; sparse = dense model check
              threads [--epochs 3] [--rounds 3] [--no-standard]
                                                fork-join cost and GEMM crossover; digits-sized Fit and the standard epoch at 1 vs 2 threads
              longrun [--epochs 1000]             a checkpoint every epoch: working set, heap and file descriptors stay flat
              coldstart [--runs 5]                first vs second digits-sized Fit in a fresh process
              text [--epochs 10] [--hidden 64] [--threads n] [--seconds 2] [--seed 1]
                                                Debian package descriptions by section: AdamMlp vs SdcaMaximumEntropy, fit and scoring rows/s
              streaming [--rows 2000000] [--features 784] [--epochs 1] [--buffer 10000] [--in-memory-rows 200000]
                        [--dir /tmp] [--file existing.idv] [--keep] [--quantized] [--threads n] [--seed 1]
                                                a synthetic .idv file trained with DataMode=Streaming: peak memory, rows/s vs in memory
            """);
        return mode is "help" or "--help" or "-h" ? 0 : 2;
}
