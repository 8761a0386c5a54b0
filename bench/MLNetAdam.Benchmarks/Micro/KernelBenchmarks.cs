using BenchmarkDotNet.Attributes;
using MLNetAdam.Model;
using MLNetAdam.Numerics;
using MLNetAdam.Numerics.Kernels;
using MLNetAdam.Optimizers;
using MLNetAdam.Training;

namespace MLNetAdam.Benchmarks;

/// <summary>Shapes of the standard workload: batch 128, 784 → 256 → 128 → 10.</summary>
internal static class Shapes
{
    public const int B = 128, In = 784, H1 = 256, H2 = 128, Out = 10;

    /// <summary>1 and all cores: the thread counts of the parallel benchmarks.</summary>
    public static IEnumerable<int> ThreadCounts() => new[] { 1, Environment.ProcessorCount }.Distinct();

    /// <summary>The trainer's choice: no pool for one thread.</summary>
    public static WorkerPool? Pool(int threads) => threads > 1 ? new WorkerPool(threads) : null;

    /// <summary>Uniform values in [-scale, scale], with a fraction <paramref name="zeros"/> set to exactly 0 (as after ReLU).</summary>
    public static float[] Random(int length, int seed, float scale = 1f, double zeros = 0)
    {
        var rng = new Random(seed);
        var a = new float[length];
        for (int i = 0; i < a.Length; i++)
            a[i] = rng.NextDouble() < zeros ? 0f : (rng.NextSingle() * 2 - 1) * scale;
        return a;
    }
}

/// <summary>
/// The GEMM kernels at the training shapes. Inputs and upstream gradients have half their entries zero, as
/// Fashion-MNIST pixels and ReLU-masked gradients roughly do. <c>AccumulateTransposedA</c> accumulates into its output.
/// </summary>
[Config(typeof(MicroConfig))]
public class GemmBenchmarks
{
    private WorkerPool? _pool;

    /// <summary>Threads of the kernels' worker pool (the trainer's <c>NumberOfThreads</c>).</summary>
    [ParamsSource(typeof(Shapes), nameof(Shapes.ThreadCounts))]
    public int Threads { get; set; }

    private float[] _x = [], _w1 = [], _b1 = [], _z1 = [], _a1 = [], _w2 = [], _b2 = [], _z2 = [], _a2 = [], _w3 = [], _b3 = [], _z3 = [];
    private float[] _dz1 = [], _dz2 = [], _dz3 = [], _gw1 = [], _gw2 = [], _gw3 = [], _d1 = [], _d2 = [];

    [GlobalSetup]
    public void Setup()
    {
        const int B = Shapes.B, In = Shapes.In, H1 = Shapes.H1, H2 = Shapes.H2, Out = Shapes.Out;
        _x = Shapes.Random(B * In, 1, 1, zeros: 0.5);
        _w1 = Shapes.Random(H1 * In, 2, 0.05f);
        _b1 = Shapes.Random(H1, 3, 0.05f);
        _z1 = new float[B * H1];
        _a1 = Shapes.Random(B * H1, 4, 1, zeros: 0.5);
        _w2 = Shapes.Random(H2 * H1, 5, 0.1f);
        _b2 = Shapes.Random(H2, 6, 0.1f);
        _z2 = new float[B * H2];
        _a2 = Shapes.Random(B * H2, 7, 1, zeros: 0.5);
        _w3 = Shapes.Random(Out * H2, 8, 0.1f);
        _b3 = Shapes.Random(Out, 9, 0.1f);
        _z3 = new float[B * Out];
        _dz1 = Shapes.Random(B * H1, 10, 1e-3f, zeros: 0.5);
        _dz2 = Shapes.Random(B * H2, 11, 1e-3f, zeros: 0.5);
        _dz3 = Shapes.Random(B * Out, 12, 1e-3f);
        _gw1 = new float[H1 * In];
        _gw2 = new float[H2 * H1];
        _gw3 = new float[Out * H2];
        _d1 = new float[B * H1];
        _d2 = new float[B * H2];
        _pool = Shapes.Pool(Threads);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark(Description = "fwd1 Z1=X·W1ᵀ+b (128×784)·(256×784)ᵀ"), Flops(2.0 * 128 * 784 * 256)]
    public void Forward1() => Gemm.MultiplyTransposedB<float>(_x, _w1, _b1, _z1, Shapes.B, Shapes.H1, Shapes.In, _pool);

    [Benchmark(Description = "fwd2 Z2=A1·W2ᵀ+b (128×256)·(256×128)"), Flops(2.0 * 128 * 256 * 128)]
    public void Forward2() => Gemm.MultiplyTransposedB<float>(_a1, _w2, _b2, _z2, Shapes.B, Shapes.H2, Shapes.H1, _pool);

    [Benchmark(Description = "fwd3 Z3=A2·W3ᵀ+b (128×128)·(128×10)"), Flops(2.0 * 128 * 128 * 10)]
    public void Forward3() => Gemm.MultiplyTransposedB<float>(_a2, _w3, _b3, _z3, Shapes.B, Shapes.Out, Shapes.H2, _pool);

    [Benchmark(Description = "bwd dW1+=dZ1ᵀ·X (256×128)·(128×784)"), Flops(2.0 * 128 * 784 * 256)]
    public void WeightGradient1() => Gemm.AccumulateTransposedA<float>(_dz1, _x, _gw1, Shapes.H1, Shapes.In, Shapes.B, _pool);

    [Benchmark(Description = "bwd dW2+=dZ2ᵀ·A1 (128×128)·(128×256)"), Flops(2.0 * 128 * 256 * 128)]
    public void WeightGradient2() => Gemm.AccumulateTransposedA<float>(_dz2, _a1, _gw2, Shapes.H2, Shapes.H1, Shapes.B, _pool);

    [Benchmark(Description = "bwd dW3+=dZ3ᵀ·A2 (10×128)·(128×128)"), Flops(2.0 * 128 * 128 * 10)]
    public void WeightGradient3() => Gemm.AccumulateTransposedA<float>(_dz3, _a2, _gw3, Shapes.Out, Shapes.H2, Shapes.B, _pool);

    [Benchmark(Description = "bwd dA1=dZ2·W2 (128×128)·(128×256)"), Flops(2.0 * 128 * 256 * 128)]
    public void InputGradient2() => Gemm.Multiply<float>(_dz2, _w2, _d1, Shapes.B, Shapes.H1, Shapes.H2, _pool);

    [Benchmark(Description = "bwd dA2=dZ3·W3 (128×10)·(10×128)"), Flops(2.0 * 128 * 128 * 10)]
    public void InputGradient3() => Gemm.Multiply<float>(_dz3, _w3, _d2, Shapes.B, Shapes.H2, Shapes.Out, _pool);
}

/// <summary>
/// Activation (the bias is added inside the forward GEMM in the current kernels), the fused softmax-cross-entropy
/// (loss and gradient in one pass) and the fused Adam update over all 235,146 parameters.
/// </summary>
[Config(typeof(MicroConfig))]
public class ElementwiseBenchmarks
{
    private float[] _z = [], _a = [], _delta = [], _logits = [], _logitsWork = [], _w = [], _g = [];
    private int[] _labels = [];
    private AdamOptimizer _adam = new();
    private AdamState _state = new(0, false);

    [GlobalSetup]
    public void Setup()
    {
        _z = Shapes.Random(Shapes.B * Shapes.H1, 1);
        _a = new float[_z.Length];
        _delta = Shapes.Random(_z.Length, 2, 1e-3f);
        _logits = Shapes.Random(Shapes.B * Shapes.Out, 3, 3f);
        _logitsWork = new float[_logits.Length];
        var rng = new Random(4);
        _labels = Enumerable.Range(0, Shapes.B).Select(_ => rng.Next(Shapes.Out)).ToArray();
        int p = new ParameterLayout([Shapes.In, Shapes.H1, Shapes.H2, Shapes.Out]).ParameterCount;
        _w = Shapes.Random(p, 5, 0.05f);
        _g = Shapes.Random(p, 6, 1e-3f);
        _adam = new AdamOptimizer { LearningRate = 1e-3f };
        _state = (AdamState)_adam.CreateState(p);
    }

    [Benchmark(Description = "ReLU forward 128×256")]
    public void ReluForward() => Activation.For(MlpActivation.Relu).Forward<float>(_z, _a);

    [Benchmark(Description = "ReLU backward 128×256")]
    public void ReluBackward() => Activation.For(MlpActivation.Relu).Backward<float>(_z, _a, _delta);

    [Benchmark(Description = "softmax-CE loss+grad 128×10")]
    public double SoftmaxCrossEntropyLossAndGradient()
    {
        _logits.CopyTo(_logitsWork, 0);
        return SoftmaxCrossEntropy.LossAndGradient<float>(_logitsWork, _labels, ReadOnlySpan<float>.Empty, Shapes.B, Shapes.Out, 1f / Shapes.B);
    }

    [Benchmark(Description = "Adam update 235,146 params")]
    public void AdamStep() => _adam.Step(_w, _g, _state, 1e-3f);
}

/// <summary>
/// One whole training step of the standard workload: <c>MlpObjective&lt;float&gt;.Evaluate</c> (gather 128 rows, forward,
/// softmax-CE, backward) and <c>AdamOptimizer.Step</c>, on Fashion-MNIST when installed (else synthetic data with
/// half its pixels zero). Batches walk through a fixed permutation of the rows. The allocation column shows the
/// steady state (BenchmarkDotNet measures after warm-up); the target is 0 B.
/// </summary>
[Config(typeof(MicroConfig))]
public class TrainingStepBenchmarks
{
    private WorkerPool? _pool;

    /// <summary>Threads of the objective's worker pool (the trainer's <c>NumberOfThreads</c>).</summary>
    [ParamsSource(typeof(Shapes), nameof(Shapes.ThreadCounts))]
    public int Threads { get; set; }

    private Data.TrainingData _data = null!;
    private MlpObjective<float> _objective = null!;
    private AdamOptimizer _adam = new();
    private AdamState _state = null!;
    private float[] _parameters = [], _gradient = [];
    private int[] _order = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var layout = new ParameterLayout([Shapes.In, Shapes.H1, Shapes.H2, Shapes.Out]);
        float[] x;
        int[] y;
        try
        {
            var mnist = FashionMnist.Load();
            (x, y) = (mnist.TrainX, mnist.TrainY);
        }
        catch (FileNotFoundException)
        {
            Console.WriteLine("// Fashion-MNIST not installed (bench/setup.sh): synthetic data");
            const int rows = 8192;
            x = Shapes.Random(rows * Shapes.In, 1, 1, zeros: 0.5);
            for (int i = 0; i < x.Length; i++)
                x[i] = Math.Abs(x[i]);
            var rng = new Random(2);
            y = Enumerable.Range(0, rows).Select(_ => rng.Next(Shapes.Out)).ToArray();
        }
        _data = Data.TrainingData.FromDense(x, Shapes.In, Shapes.Out, y, null);
        _pool = Shapes.Pool(Threads);
        _objective = new MlpObjective<float>(layout, MlpActivation.Relu, 0, Shapes.B, pool: _pool);
        _parameters = new float[layout.ParameterCount];
        var init = new Random(3);
        for (int l = 0; l < layout.LayerCount; l++)
        {
            float bound = MathF.Sqrt(6f / layout.InputsOf(l));
            foreach (ref float w in layout.Weights(_parameters.AsSpan(), l))
                w = (init.NextSingle() * 2 - 1) * bound;
        }
        _gradient = new float[layout.ParameterCount];
        _adam = new AdamOptimizer { LearningRate = 1e-3f };
        _state = (AdamState)_adam.CreateState(layout.ParameterCount);
        _order = Enumerable.Range(0, _data.RowCount).OrderBy(_ => init.Next()).ToArray();
        _order = _order.Take(_order.Length / Shapes.B * Shapes.B).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark(Description = "training step: Evaluate + Adam.Step, 128 rows"), Flops(6.0 * 235_146 * 128)]
    public double TrainingStep()
    {
        if (_next + Shapes.B > _order.Length)
            _next = 0;
        var rows = _order.AsSpan(_next, Shapes.B);
        _next += Shapes.B;
        double loss = _objective.Evaluate(_parameters, _gradient, _data, rows);
        _adam.Step(_parameters, _gradient, _state, 1e-3f);
        return loss;
    }
}
