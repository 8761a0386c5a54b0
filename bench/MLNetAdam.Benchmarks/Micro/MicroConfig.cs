using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace MLNetAdam.Benchmarks;

/// <summary>
/// Applied to every benchmark class (on top of BenchmarkDotNet's default loggers, exporters and columns):
/// a short in-process job with the memory diagnoser. In-process: BenchmarkDotNet does not generate and build a separate
/// project per benchmark (no extra `dotnet build`, no second restore of libtorch), and the kernels are reached through
/// this assembly's InternalsVisibleTo access.
/// </summary>
public sealed class MicroConfig : ManualConfig
{
    public MicroConfig()
    {
        // More warm-up than ShortRun's 3, so tiered JIT (tier-1/OSR recompiles, which allocate) settles before measuring.
        AddJob(Job.ShortRun.WithWarmupCount(10).WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance).WithId("Short-InProcess"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(new GflopsColumn());
    }
}
