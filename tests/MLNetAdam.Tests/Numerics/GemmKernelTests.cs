using Xunit;

namespace MLNetAdam.Tests.Numerics;

/// <summary>
/// The register-blocked kernel against a scalar double reference on odd shapes (tails of every kind). CI reruns this
/// class with AVX-512, AVX2 and all intrinsics switched off, so each vector path and the scalar one are checked.
/// </summary>
public sealed class GemmKernelTests
{
    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>C in double, and for each element Σ|terms| (the scale of its float rounding error).</summary>
    private static (double[] Value, double[] Magnitude) Reference(float[] a, float[] b, float[]? c0, int m, int n, int k)
    {
        var c = new double[m * n];
        var magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = c0 is null ? 0 : c0[i * n + j];
                double size = Math.Abs(s);
                for (int p = 0; p < k; p++)
                {
                    double term = (double)a[i * k + p] * b[p * n + j];
                    s += term;
                    size += Math.Abs(term);
                }
                c[i * n + j] = s;
                magnitude[i * n + j] = size;
            }
        return (c, magnitude);
    }

    /// <summary>
    /// A float sum of <paramref name="terms"/> products (fused or not) is within (terms + 2) · 2⁻²⁴ · Σ|products| of the
    /// exact sum: the standard bound, far tighter than a fixed tolerance times k.
    /// </summary>
    private static bool Near(float actual, double expected, double magnitude, int terms) =>
        Math.Abs(actual - expected) <= (terms + 2) * 6e-8 * magnitude + 1e-30;

    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        int[] sizes = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 257];
        var random = new Random(7);
        foreach (int n in sizes)
            shapes.Add(sizes[random.Next(sizes.Length)], n, sizes[random.Next(sizes.Length)]);
        shapes.Add(128, 256, 784);
        shapes.Add(9, 100, 3);
        // One to three rows (a row being scored) take the eight-vector path when there are enough columns.
        shapes.Add(1, 257, 65);
        shapes.Add(1, 256, 784);
        shapes.Add(2, 128, 5);
        shapes.Add(3, 300, 17);
        return shapes;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyMatchesTheScalarReference(int m, int n, int k)
    {
        float[] a = Random(m * k, 1), b = Random(k * n, 2), c0 = Random(m * n, 3);
        foreach (bool accumulate in new[] { false, true })
        {
            // A guard value past the end must survive: the kernel writes only C.
            var c = new float[m * n + 1];
            c0.CopyTo(c, 0);
            c[^1] = 12345f;
            GemmKernel.Multiply(a, b, c, m, n, k, accumulate);
            var (expected, magnitude) = Reference(a, b, accumulate ? c0 : null, m, n, k);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Near(c[i], expected[i], magnitude[i], k + 1), $"{m}x{n}x{k} accumulate={accumulate} [{i}]: {c[i]} vs {expected[i]}");
            Assert.Equal(12345f, c[^1]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ThreadsSplitColumnsWithoutChangingABit(int threads)
    {
        const int m = 37, n = 301, k = 129;
        float[] a = Random(m * k, 4), b = Random(k * n, 5);
        var single = new float[m * n];
        GemmKernel.Multiply(a, b, single, m, n, k, accumulate: false);
        using var pool = new WorkerPool(threads);
        var parallel = new float[m * n];
        for (int repeat = 0; repeat < 5; repeat++)
        {
            GemmKernel.Multiply(pool, a, b, parallel, m, n, k, accumulate: false);
            Assert.Equal(single, parallel);
        }
    }

    [Theory]
    [InlineData(1, 37, 301, 129)]
    [InlineData(2, 37, 301, 129)]
    [InlineData(3, 128, 256, 784)]
    [InlineData(2, 5, 17, 3)]
    public void TheTransposedProductSplitsBetweenThreadsExactly(int threads, int m, int n, int k)
    {
        float[] a = Random(m * k, 11), w = Random(n * k, 12), bias = Random(n, 13);
        var expected = new double[m * n];
        var magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = bias[j], size = Math.Abs(s);
                for (int p = 0; p < k; p++)
                {
                    double term = (double)a[i * k + p] * w[j * k + p];
                    s += term;
                    size += Math.Abs(term);
                }
                expected[i * n + j] = s;
                magnitude[i * n + j] = size;
            }
        var single = new float[m * n];
        GemmKernel.MultiplyTransposed(null, a, w, bias, new float[n * k], single, m, n, k);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Near(single[i], expected[i], magnitude[i], k + 1), $"[{i}] {single[i]} vs {expected[i]}");
        using var pool = new WorkerPool(threads);
        var parallel = new float[m * n];
        GemmKernel.MultiplyTransposed(pool, a, w, bias, new float[n * k], parallel, m, n, k);
        Assert.Equal(single, parallel);
    }

    [Fact]
    public void ColumnRangesComposeToTheWholeProduct()
    {
        const int m = 6, n = 77, k = 20;
        float[] a = Random(m * k, 8), b = Random(k * n, 9);
        var whole = new float[m * n];
        GemmKernel.Multiply(a, b, whole, m, n, k, accumulate: false);
        var pieces = new float[m * n];
        GemmKernel.Multiply(a, b, pieces, m, n, k, accumulate: false, 0, 32);
        GemmKernel.Multiply(a, b, pieces, m, n, k, accumulate: false, 32, 77);
        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void ShortSpansAndBadRangesThrow()
    {
        Assert.Throws<ArgumentException>(() => GemmKernel.Multiply(new float[5], new float[6], new float[4], 2, 2, 3, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmKernel.Multiply(new float[6], new float[6], new float[4], 2, 2, 3, false, 1, 3));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 13)]
    [InlineData(8, 16)]
    [InlineData(33, 9)]
    [InlineData(256, 784)]
    public void TransposeIsExact(int rows, int columns)
    {
        float[] x = Random(rows * columns, 10);
        var t = new float[rows * columns];
        GemmKernel.Transpose(x, t, rows, columns);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                Assert.Equal(x[i * columns + j], t[j * rows + i]);
    }

    [Fact]
    public void APoolRethrowsAWorkersFailure()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(new Failing()));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        // The pool still works afterwards.
        var counter = new Counting();
        pool.Run(counter);
        Assert.Equal(2, counter.Parts);
    }

    private sealed class Failing : IParallelJob
    {
        public void Execute(int part, int parts)
        {
            if (part == 1)
                throw new InvalidOperationException("part 1 fails");
        }
    }

    private sealed class Counting : IParallelJob
    {
        private int _parts;

        public int Parts => _parts;

        public void Execute(int part, int parts) => Interlocked.Increment(ref _parts);
    }
}
