using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAdam.Benchmarks.SideBySide;

/// <summary>
/// The standard workload in TorchSharp (libtorch-cpu 2.10): the same network, loss, optimizer, batch size and
/// per-epoch reshuffle, written the way a PyTorch user writes it (randperm, index_select, zero_grad/backward/step).
/// </summary>
internal static class TorchSharpRunner
{
    private static bool s_ready;

    /// <summary>Patches the glue library (see <see cref="ElfWeakVersion"/>) and loads libtorch; returns its version text.</summary>
    public static string Initialize(TextWriter log)
    {
        if (!s_ready)
        {
            ElfWeakVersion.PrepareTorchSharp(log);
            torch.InitializeDeviceType(DeviceType.CPU);
            s_ready = true;
        }
        return $"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}";
    }

    public static void SetThreads(int threads)
    {
        torch.set_num_threads(threads);
    }

    private static nn.Module<Tensor, Tensor> Network() =>
        nn.Sequential(
            ("fc1", nn.Linear(FashionMnist.Features, 256)),
            ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(256, 128)),
            ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(128, FashionMnist.Classes)));

    public static TrainResult Train(FashionMnist data, int epochs, int threads, int seed, out nn.Module<Tensor, Tensor> model)
    {
        SetThreads(threads);
        torch.manual_seed(seed);
        var generator = new Generator((ulong)seed);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var total = Stopwatch.StartNew();
        using var x = torch.tensor(data.TrainX, [data.TrainRows, FashionMnist.Features]);
        using var y = torch.tensor(data.TrainY.Select(v => (long)v).ToArray(), [data.TrainRows]);
        model = Network();
        model.train();
        using var optimizer = torch.optim.Adam(model.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        var epochSeconds = new double[epochs];
        const int batch = 128;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var sw = Stopwatch.StartNew();
            using (var scope = torch.NewDisposeScope())
            {
                var perm = torch.randperm(data.TrainRows, generator: generator);
                for (long start = 0; start < data.TrainRows; start += batch)
                {
                    using var step = torch.NewDisposeScope();
                    var idx = perm.slice(0, start, Math.Min(start + batch, data.TrainRows), 1);
                    var xb = x.index_select(0, idx);
                    var yb = y.index_select(0, idx);
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(xb), yb);
                    loss.backward();
                    optimizer.step();
                }
            }
            epochSeconds[epoch] = sw.Elapsed.TotalSeconds;
        }
        total.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        double accuracy = Accuracy(model, data);
        return new TrainResult("TorchSharp", threads, epochSeconds, total.Elapsed.TotalSeconds, accuracy) { CpuSeconds = cpu.TotalSeconds };
    }

    public static double Accuracy(nn.Module<Tensor, Tensor> model, FashionMnist data)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(data.TestX, [data.TestRows, FashionMnist.Features]);
        var y = torch.tensor(data.TestY.Select(v => (long)v).ToArray(), [data.TestRows]);
        var predicted = model.call(x).argmax(1);
        return predicted.eq(y).sum().ToInt64() / (double)data.TestRows;
    }

    /// <summary>
    /// Rows per second scoring the test set in batches of <paramref name="batch"/>: managed floats in, a tensor made
    /// from them, forward, softmax, argmax, and the probabilities and class copied back to managed arrays (what
    /// PredictionEngine and Transform hand back).
    /// </summary>
    // A plain copy out of a contiguous CPU tensor's memory (TensorAccessor.CopyTo goes element by element).
    private static void CopyOut<T>(Tensor t, T[] destination)
        where T : unmanaged
    {
        ReadOnlySpan<byte> bytes = t.contiguous().bytes;
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes).CopyTo(destination);
    }

    public static double Predict(nn.Module<Tensor, Tensor> model, FashionMnist data, int batch, int threads, double minSeconds)
    {
        SetThreads(threads);
        model.eval();
        using var noGrad = torch.no_grad();
        int f = FashionMnist.Features;
        var input = new float[batch * f];
        var probabilities = new float[batch * FashionMnist.Classes];
        var labels = new long[batch];
        long done = 0;
        int warmup = Math.Min(data.TestRows, 1000);
        var sw = new Stopwatch();
        bool warm = false;
        while (true)
        {
            int limit = warm ? data.TestRows : warmup;
            for (int start = 0; start + batch <= limit; start += batch)
            {
                using var scope = torch.NewDisposeScope();
                data.TestX.AsSpan(start * f, batch * f).CopyTo(input);
                var x = torch.tensor(input, [batch, f]);
                var p = nn.functional.softmax(model.call(x), 1);
                CopyOut(p, probabilities);
                CopyOut(p.argmax(1), labels);
                if (warm)
                    done += batch;
            }
            if (!warm)
            {
                warm = true;
                sw.Start();
                continue;
            }
            if (sw.Elapsed.TotalSeconds >= minSeconds)
                break;
        }
        return done / sw.Elapsed.TotalSeconds;
    }
}
