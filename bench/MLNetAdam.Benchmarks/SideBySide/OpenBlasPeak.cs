using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MLNetAdam.Benchmarks.SideBySide;

/// <summary>
/// The machine's float32 GEMM peak: Debian's OpenBLAS (<c>libopenblas0-pthread</c>) <c>cblas_sgemm</c> on a large square
/// product, called through P/Invoke. Runs in a child process whose environment has <c>OPENBLAS_CORETYPE</c> and
/// <c>OPENBLAS_L2_SIZE</c> removed, so OpenBLAS picks its own (AVX-512) kernel for this CPU.
/// </summary>
internal static unsafe class OpenBlasPeak
{
    public sealed record Result(int Threads, int Size, string Core, double BestGflops, double MedianGflops);

    /// <summary>Measures in a child process (see the class remarks).</summary>
    public static Result MeasureInChild(int threads, int size)
    {
        var psi = ChildProcess.Self("gemm-peak", "--threads", threads.ToString(CultureInfo.InvariantCulture), "--size", size.ToString(CultureInfo.InvariantCulture));
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        psi.Environment.Remove("OPENBLAS_L2_SIZE");
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        string line = ChildProcess.LastLine(ChildProcess.Run(psi, TimeSpan.FromMinutes(5)), "GEMMPEAK ");
        string[] f = line.Split('\t');
        return new Result(int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture), f[2],
            double.Parse(f[3], CultureInfo.InvariantCulture), double.Parse(f[4], CultureInfo.InvariantCulture));
    }

    /// <summary>The child's side: prints <c>GEMMPEAK threads size core best median</c> (tab-separated, GFLOP/s).</summary>
    public static int ChildMain(int threads, int size)
    {
        IntPtr lib = NativeLibrary.Load("libopenblas.so.0");
        var sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(lib, "cblas_sgemm");
        var setThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(lib, "openblas_set_num_threads");
        string core = NativeLibrary.TryGetExport(lib, "openblas_get_corename", out IntPtr coreName)
            ? Marshal.PtrToStringAnsi(((delegate* unmanaged<IntPtr>)coreName)()) ?? "?" : "?";
        setThreads(threads);

        int n = size;
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        var rng = new Random(1);
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = rng.NextSingle() - 0.5f;
            b[i] = rng.NextSingle() - 0.5f;
        }
        const int RowMajor = 101, NoTrans = 111;
        double flops = 2.0 * n * n * n;
        var rates = new List<double>();
        var total = Stopwatch.StartNew();
        fixed (float* pa = a, pb = b, pc = c)
        {
            sgemm(RowMajor, NoTrans, NoTrans, n, n, n, 1f, pa, n, pb, n, 0f, pc, n); // warm-up
            for (int rep = 0; rep < 50 && (rep < 5 || total.Elapsed.TotalSeconds < 5); rep++)
            {
                long t0 = Stopwatch.GetTimestamp();
                sgemm(RowMajor, NoTrans, NoTrans, n, n, n, 1f, pa, n, pb, n, 0f, pc, n);
                rates.Add(flops / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9);
            }
        }
        rates.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GEMMPEAK {threads}\t{n}\t{core}\t{rates[^1]:F2}\t{rates[rates.Count / 2]:F2}"));
        return 0;
    }
}
