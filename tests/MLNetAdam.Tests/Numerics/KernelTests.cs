using System.Numerics;
using Xunit;

namespace MLNetAdam.Tests.Numerics;

/// <summary>
/// The kernels against naive scalar references in double, in float and double, on odd shapes (so every vector
/// width leaves a tail), with in-place use where the kernel documents it and short spans rejected.
/// </summary>
public sealed class KernelTests
{
    // (m, n, k): ones, primes, widths around the vector sizes, a 257, and empty dimensions.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 7, 1 }, { 3, 1, 17 }, { 2, 3, 5 }, { 5, 13, 2 }, { 7, 8, 9 }, { 11, 17, 31 },
        { 16, 16, 16 }, { 17, 33, 15 }, { 23, 29, 37 }, { 40, 39, 41 }, { 2, 3, 257 }, { 3, 257, 5 },
        { 257, 2, 3 }, { 0, 3, 4 }, { 3, 0, 4 }, { 3, 4, 0 },
    };

    public static TheoryData<int> Lengths => new() { 0, 1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257 };

    public static TheoryData<MlpActivation> AllActivations()
    {
        var data = new TheoryData<MlpActivation>();
        foreach (MlpActivation activation in Enum.GetValues<MlpActivation>())
            data.Add(activation);
        return data;
    }

    // ---------------------------------------------------------------- dense GEMM

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyTransposedBMatchesNaive(int m, int n, int k)
    {
        MultiplyTransposedB<float>(m, n, k, withBias: true);
        MultiplyTransposedB<float>(m, n, k, withBias: false);
        MultiplyTransposedB<double>(m, n, k, withBias: true);
        MultiplyTransposedB<double>(m, n, k, withBias: false);
    }

    private static void MultiplyTransposedB<T>(int m, int n, int k, bool withBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(m * 10007 + n * 101 + k);
        T[] a = RandomValues<T>(random, m * k);
        T[] b = RandomValues<T>(random, n * k);
        T[] bias = withBias ? RandomValues<T>(random, n) : [];
        T[] c = Filled(m * n + 3, T.NaN);
        c[^3] = c[^2] = c[^1] = T.CreateTruncating(12345.0); // past the end: must stay untouched

        Gemm.MultiplyTransposedB<T>(a, b, bias, c, m, n, k);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = withBias ? D(bias[j]) : 0, magnitude = Math.Abs(sum);
                for (int t = 0; t < k; t++)
                {
                    sum += D(a[i * k + t]) * D(b[j * k + t]);
                    magnitude += Math.Abs(D(a[i * k + t]) * D(b[j * k + t]));
                }
                AssertNear<T>(sum, c[i * n + j], magnitude, k, $"c[{i},{j}]");
            }
        }
        AssertSentinels(c, 3);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyMatchesNaive(int m, int n, int k)
    {
        Multiply<float>(m, n, k);
        Multiply<double>(m, n, k);
    }

    private static void Multiply<T>(int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // C (m×n) = A (m×k) · B (k×n), the same m, n, k as GemmKernel.
        var random = new Random(m * 7 + n * 1009 + k * 3);
        T[] a = RandomValues<T>(random, m * k); // about a quarter exact zeros, which the kernel skips
        T[] b = RandomValues<T>(random, k * n);
        T[] c = Filled(m * n + 2, T.NaN); // overwritten, not accumulated into
        c[^2] = c[^1] = T.CreateTruncating(12345.0);

        Gemm.Multiply<T>(a, b, c, m, n, k);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += D(a[i * k + p]) * D(b[p * n + j]);
                    magnitude += Math.Abs(D(a[i * k + p]) * D(b[p * n + j]));
                }
                AssertNear<T>(sum, c[i * n + j], magnitude, k, $"c[{i},{j}]");
            }
        }
        AssertSentinels(c, 2);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AccumulateTransposedAMatchesNaive(int m, int n, int k)
    {
        AccumulateTransposedA<float>(m, n, k);
        AccumulateTransposedA<double>(m, n, k);
    }

    private static void AccumulateTransposedA<T>(int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // C (m×n) += Aᵀ · B with A k×m and B k×n (a weight gradient summed over k batch rows).
        var random = new Random(m * 31 + n * 17 + k * 7919);
        T[] a = RandomValues<T>(random, k * m);
        T[] b = RandomValues<T>(random, k * n);
        T[] c0 = RandomValues<T>(random, m * n + 2);
        c0[^2] = c0[^1] = T.CreateTruncating(12345.0);
        T[] c = (T[])c0.Clone();

        Gemm.AccumulateTransposedA<T>(a, b, c, m, n, k);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = D(c0[i * n + j]), magnitude = Math.Abs(sum);
                for (int p = 0; p < k; p++)
                {
                    sum += D(a[p * m + i]) * D(b[p * n + j]);
                    magnitude += Math.Abs(D(a[p * m + i]) * D(b[p * n + j]));
                }
                AssertNear<T>(sum, c[i * n + j], magnitude, k + 1, $"c[{i},{j}]");
            }
        }
        AssertSentinels(c, 2);
    }

    [Fact]
    public void MultiplyTransposedBDoesNotDependOnAlignment()
    {
        // Same values at every float offset of a larger array: the results must be bitwise identical.
        const int M = 3, N = 5, K = 67;
        var random = new Random(5);
        float[] a = RandomValues<float>(random, M * K);
        float[] b = RandomValues<float>(random, N * K);
        float[]? first = null;
        for (int offset = 0; offset < 16; offset++)
        {
            var aShifted = new float[M * K + 16];
            var bShifted = new float[N * K + 16];
            a.CopyTo(aShifted, offset);
            b.CopyTo(bShifted, 15 - offset);
            var c = new float[M * N];
            Gemm.MultiplyTransposedB<float>(aShifted.AsSpan(offset, M * K), bShifted.AsSpan(15 - offset, N * K), [], c, M, N, K);
            first ??= c;
            for (int i = 0; i < c.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(first[i]) == BitConverter.SingleToInt32Bits(c[i]), $"offset {offset}, c[{i}]: {c[i]:R} vs {first[i]:R}");
        }
    }

    [Fact]
    public void DenseGemmRejectsShortSpans()
    {
        const int M = 3, N = 4, K = 5;
        var a = new float[M * K];
        var b = new float[N * K];
        var c = new float[M * N];
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedB<float>(a, b, [], new float[M * N - 1], M, N, K));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedB<float>(a.AsSpan(1), b, [], c, M, N, K));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedB<float>(a, b.AsSpan(1), [], c, M, N, K));

        // Multiply: a m×k, b k×n, c m×n.
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[M * K], new float[K * N], new float[M * N - 1], M, N, K));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[M * K - 1], new float[K * N], new float[M * N], M, N, K));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[M * K], new float[K * N - 1], new float[M * N], M, N, K));

        // AccumulateTransposedA: a k×m, b k×n, c m×n.
        Assert.Throws<ArgumentException>(() => Gemm.AccumulateTransposedA<float>(new float[K * M], new float[K * N], new float[M * N - 1], M, N, K));
        Assert.Throws<ArgumentException>(() => Gemm.AccumulateTransposedA<float>(new float[K * M - 1], new float[K * N], new float[M * N], M, N, K));
        Assert.Throws<ArgumentException>(() => Gemm.AccumulateTransposedA<float>(new float[K * M], new float[K * N - 1], new float[M * N], M, N, K));
    }

    // ---------------------------------------------------------------- sparse GEMM

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SparseMultiplyTransposedBMatchesNaive(int m, int n, int k)
    {
        SparseMultiplyTransposedB<float>(m, n, k);
        SparseMultiplyTransposedB<double>(m, n, k);
    }

    private static void SparseMultiplyTransposedB<T>(int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(m * 13 + n * 7 + k * 101);
        Csr csr = Csr.Create(random, storedRows: m + 2, k);
        int[] rowIds = RandomRowIds(random, m, m + 2);
        T[] weights = RandomValues<T>(random, n * k);
        T[] bias = RandomValues<T>(random, n);
        T[] c = Filled(m * n + 1, T.NaN);
        c[^1] = T.CreateTruncating(12345.0);

        Gemm.SparseMultiplyTransposedB<T>(csr.View(rowIds), weights, bias, c, n, k);

        for (int r = 0; r < m; r++)
        {
            double[] x = csr.DenseRow(rowIds[r]);
            for (int j = 0; j < n; j++)
            {
                double sum = D(bias[j]), magnitude = Math.Abs(sum);
                for (int t = 0; t < k; t++)
                {
                    sum += x[t] * D(weights[j * k + t]);
                    magnitude += Math.Abs(x[t] * D(weights[j * k + t]));
                }
                AssertNear<T>(sum, c[r * n + j], magnitude, k + 1, $"c[{r},{j}]");
            }
        }
        AssertSentinels(c, 1);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SparseAccumulateTransposedAMatchesNaive(int m, int n, int k)
    {
        SparseAccumulateTransposedA<float>(m, n, k);
        SparseAccumulateTransposedA<double>(m, n, k);
    }

    private static void SparseAccumulateTransposedA<T>(int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // C (m×n) += Aᵀ · X with A k×m dense and X k×n sparse (k batch rows of n features).
        var random = new Random(m * 3 + n * 5 + k * 11);
        Csr csr = Csr.Create(random, storedRows: k + 2, n);
        int[] rowIds = RandomRowIds(random, k, k + 2);
        T[] a = RandomValues<T>(random, k * m);
        T[] c0 = RandomValues<T>(random, m * n + 1);
        c0[^1] = T.CreateTruncating(12345.0);
        T[] c = (T[])c0.Clone();

        Gemm.SparseAccumulateTransposedA<T>(a, csr.View(rowIds), c, m, n);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = D(c0[i * n + j]), magnitude = Math.Abs(sum);
                for (int r = 0; r < k; r++)
                {
                    double x = csr.DenseRow(rowIds[r])[j];
                    sum += D(a[r * m + i]) * x;
                    magnitude += Math.Abs(D(a[r * m + i]) * x);
                }
                AssertNear<T>(sum, c[i * n + j], magnitude, k + 1, $"c[{i},{j}]");
            }
        }
        AssertSentinels(c, 1);
    }

    [Fact]
    public void SparseGemmRejectsShortSpans()
    {
        const int N = 4, K = 5;
        Csr csr = Csr.Create(new Random(3), storedRows: 4, K);
        int[] rowIds = [0, 2, 3];
        Assert.Throws<ArgumentException>(() => Gemm.SparseMultiplyTransposedB<float>(csr.View(rowIds), new float[N * K], [], new float[3 * N - 1], N, K));
        Assert.Throws<ArgumentException>(() => Gemm.SparseMultiplyTransposedB<float>(csr.View(rowIds), new float[N * K - 1], [], new float[3 * N], N, K));
        // SparseAccumulateTransposedA: a is 3×m (three rows), c is m×n with n = K features.
        Assert.Throws<ArgumentException>(() => Gemm.SparseAccumulateTransposedA<float>(new float[3 * N], csr.View(rowIds), new float[N * K - 1], N, K));
        Assert.Throws<ArgumentException>(() => Gemm.SparseAccumulateTransposedA<float>(new float[3 * N - 1], csr.View(rowIds), new float[N * K], N, K));
    }

    // ---------------------------------------------------------------- activations

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ForwardMatchesNaiveAndWorksInPlace(int length)
    {
        foreach (MlpActivation activation in Enum.GetValues<MlpActivation>())
        {
            Forward<float>(activation, length);
            Forward<double>(activation, length);
        }
    }

    private static void Forward<T>(MlpActivation activation, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] z = ActivationInputs<T>(new Random(length + 1), length);
        T[] output = Filled(length + 1, T.NaN);
        output[^1] = T.CreateTruncating(12345.0);

        if (length == 0)
        {
            // Every activation does nothing on an empty input (TensorPrimitives rejects empty spans; the kernels return first).
            Activation.For(activation).Forward<T>(z, output.AsSpan(0, 0));
            AssertSentinels(output, 1);
            return;
        }

        Activation.For(activation).Forward<T>(z, output.AsSpan(0, length));
        T[] inPlace = (T[])z.Clone();
        Activation.For(activation).Forward<T>(inPlace, inPlace); // output may alias the input

        for (int i = 0; i < length; i++)
        {
            double expected = ReferenceActivation(activation, D(z[i]));
            AssertActivation<T>(expected, output[i], $"{activation}({D(z[i]):R})");
            Assert.Equal(output[i], inPlace[i]);
        }
        AssertSentinels(output, 1);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void BackwardMatchesNaiveDerivative(int length)
    {
        foreach (MlpActivation activation in Enum.GetValues<MlpActivation>())
        {
            Backward<float>(activation, length);
            Backward<double>(activation, length);
        }
    }

    private static void Backward<T>(MlpActivation activation, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(length + 7);
        T[] z = ActivationInputs<T>(random, length);
        T[] a = new T[length];
        if (length > 0)
            Activation.For(activation).Forward<T>(z, a);
        T[] upstream = RandomValues<T>(random, length);
        T[] gradient = (T[])upstream.Clone();

        Activation.For(activation).Backward<T>(z, a, gradient);

        for (int i = 0; i < length; i++)
        {
            double expected = D(upstream[i]) * ReferenceDerivative(activation, D(z[i]));
            AssertActivation<T>(expected, gradient[i], $"{activation}'({D(z[i]):R}) · {D(upstream[i]):R}");
        }
    }

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void ReferenceDerivativeMatchesCentralDifferences(MlpActivation activation)
    {
        // Guards the hand-written derivatives above (notably GELU's) with the forward formula itself.
        foreach (double x in new[] { -4.1, -1.3, -0.2, 0.3, 0.9, 2.2, 5.5 })
        {
            const double H = 1e-6;
            double numeric = (ReferenceActivation(activation, x + H) - ReferenceActivation(activation, x - H)) / (2 * H);
            Assert.Equal(numeric, ReferenceDerivative(activation, x), 1e-8);
        }
    }

    [Fact]
    public void ReluFamilyUsesPyTorchsDerivativeAtZero()
    {
        // PyTorch: relu'(0) = 0, leaky_relu'(0) = slope (its backward tests x > 0).
        float[] z = [0f, -0f];
        float[] a = new float[2];
        float[] g = [1f, 1f];
        Activation.For(MlpActivation.Relu).Forward<float>(z, a);
        Activation.For(MlpActivation.Relu).Backward<float>(z, a, g);
        Assert.Equal([0f, 0f], g);
        g = [1f, 1f];
        Activation.For(MlpActivation.LeakyRelu).Forward<float>(z, a);
        Activation.For(MlpActivation.LeakyRelu).Backward<float>(z, a, g);
        Assert.Equal([(float)Activation.LeakyRelu.Slope, (float)Activation.LeakyRelu.Slope], g);
    }

    [Fact]
    public void UnknownActivationThrows()
    {
        var unknown = (MlpActivation)99;
        float[] z = [1f];
        Assert.Equal("kind", Assert.Throws<ArgumentOutOfRangeException>(() => Activation.For(unknown)).ParamName);
        Assert.Null(Activation.ForName("Swish"));
    }

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void ForwardRejectsAShortDestination(MlpActivation activation)
    {
        float[] z = [1f, -2f, 3f, -4f, 5f, -6f, 7f, -8f, 9f];
        var destination = new float[z.Length - 1];
        // Every activation checks the lengths before writing anything.
        Assert.ThrowsAny<ArgumentException>(() => Activation.For(activation).Forward<float>(z, destination));
        Assert.All(destination, v => Assert.Equal(0f, v));
    }

    // ---------------------------------------------------------------- softmax cross-entropy

    public static TheoryData<int, int, bool> SoftmaxShapes => new()
    {
        { 1, 1, false }, { 1, 2, true }, { 3, 5, false }, { 7, 10, true }, { 13, 3, true },
        { 4, 17, false }, { 33, 7, true }, { 2, 257, true }, { 5, 64, false },
    };

    [Theory]
    [MemberData(nameof(SoftmaxShapes))]
    public void SoftmaxCrossEntropyMatchesNaive(int rows, int classes, bool weighted)
    {
        CheckSoftmaxCrossEntropy<float>(rows, classes, weighted);
        CheckSoftmaxCrossEntropy<double>(rows, classes, weighted);
    }

    private static void CheckSoftmaxCrossEntropy<T>(int rows, int classes, bool weighted)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(rows * 100 + classes);
        var logits = new T[rows * classes + 1];
        for (int i = 0; i < rows * classes; i++)
            logits[i] = T.CreateTruncating(20 * random.NextDouble() - 10);
        // Row 0 is shifted far up: softmax must subtract the row maximum to stay finite.
        for (int c = 0; c < classes; c++)
            logits[c] += T.CreateTruncating(1000.0);
        logits[^1] = T.CreateTruncating(12345.0);
        int[] labels = Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray();
        float[] weights = weighted ? Enumerable.Range(0, rows).Select(_ => (float)(0.1 + 2 * random.NextDouble())).ToArray() : [];
        const double Scale = 0.37;
        T[] z = (T[])logits.Clone();

        double total = SoftmaxCrossEntropy.LossAndGradient<T>(z, labels, weights, rows, classes, T.CreateTruncating(Scale));

        double expectedTotal = 0, totalMagnitude = 0;
        for (int r = 0; r < rows; r++)
        {
            double w = weighted ? weights[r] : 1;
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
                max = Math.Max(max, D(logits[r * classes + c]));
            double sum = 0;
            for (int c = 0; c < classes; c++)
                sum += Math.Exp(D(logits[r * classes + c]) - max);
            double logSum = max + Math.Log(sum);
            double rowLoss = logSum - D(logits[r * classes + labels[r]]);
            expectedTotal += w * rowLoss;
            totalMagnitude += w * (Math.Abs(rowLoss) + 1);
            for (int c = 0; c < classes; c++)
            {
                double p = Math.Exp(D(logits[r * classes + c]) - max) / sum;
                double expected = Scale * w * (p - (c == labels[r] ? 1 : 0));
                double bound = typeof(T) == typeof(float) ? 1e-6 * Scale * w : 1e-14 * Scale * w;
                Assert.True(Math.Abs(expected - D(z[r * classes + c])) <= bound, $"gradient[{r},{c}] = {D(z[r * classes + c]):R}, naive {expected:R}");
            }
        }
        double lossBound = (typeof(T) == typeof(float) ? 1e-6 : 1e-13) * totalMagnitude;
        Assert.True(Math.Abs(total - expectedTotal) <= lossBound, $"loss {total:R}, naive {expectedTotal:R}");
        Assert.Equal(T.CreateTruncating(12345.0), z[^1]);
    }

    [Fact]
    public void SoftmaxCrossEntropyRejectsShortLogits()
    {
        Assert.ThrowsAny<ArgumentException>(() =>
            SoftmaxCrossEntropy.LossAndGradient<float>(new float[3 * 4 - 1], [0, 1, 2], [], 3, 4, 1f));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(33)]
    [InlineData(257)]
    public void SoftmaxGivesProbabilities(int length)
    {
        var random = new Random(length);
        float[] z = Enumerable.Range(0, length).Select(_ => (float)(30 * random.NextDouble() - 15)).ToArray();
        float[] p = (float[])z.Clone();

        SoftmaxCrossEntropy.Softmax(p);

        double max = z.Max(v => (double)v);
        double sum = z.Sum(v => Math.Exp(v - max));
        for (int i = 0; i < length; i++)
            Assert.True(Math.Abs(p[i] - Math.Exp(z[i] - max) / sum) <= 1e-6, $"p[{i}] = {p[i]:R}");
        Assert.Equal(1.0, p.Sum(v => (double)v), 1e-5);
    }

    // ---------------------------------------------------------------- helpers

    private static double D<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T> => double.CreateTruncating(value);

    private static T[] Filled<T>(int length, T value)
    {
        var array = new T[length];
        Array.Fill(array, value);
        return array;
    }

    /// <summary>Values in [-2, 2), about a quarter of them exactly zero.</summary>
    private static T[] RandomValues<T>(Random random, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
            values[i] = random.NextDouble() < 0.25 ? T.Zero : T.CreateTruncating(4 * random.NextDouble() - 2);
        return values;
    }

    /// <summary>Pre-activations over [-8, 8) with a few exact zeros and saturating values mixed in.</summary>
    private static T[] ActivationInputs<T>(Random random, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double[] specials = [0, 40, -40, 1e-3, -1e-3];
        var values = new T[length];
        for (int i = 0; i < length; i++)
            values[i] = T.CreateTruncating(i % 11 == 5 ? specials[i / 11 % specials.Length] : 16 * random.NextDouble() - 8);
        return values;
    }

    /// <summary>A random batch of row ids (in any order, with repeats) into <paramref name="storedRows"/> rows.</summary>
    private static int[] RandomRowIds(Random random, int count, int storedRows) =>
        Enumerable.Range(0, count).Select(_ => random.Next(storedRows)).ToArray();

    /// <summary>Float result within a summation-error bound of its double reference; double within a much tighter one.</summary>
    private static void AssertNear<T>(double expected, T actual, double magnitude, int terms, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Rounding bound of a sum of `terms` products: (terms + 2) · unit roundoff · Σ|products|.
        double unit = typeof(T) == typeof(float) ? 6e-8 : 1.2e-16;
        double bound = (terms + 2) * unit * magnitude + 1e-300;
        Assert.True(Math.Abs(D(actual) - expected) <= bound, $"{what} = {D(actual):R}, naive {expected:R}");
    }

    private static void AssertActivation<T>(double expected, T actual, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bound = typeof(T) == typeof(float) ? 1e-6 + 1e-5 * Math.Abs(expected) : 1e-14 + 1e-13 * Math.Abs(expected);
        Assert.True(Math.Abs(D(actual) - expected) <= bound, $"{typeof(T).Name} {what} = {D(actual):R}, naive {expected:R}");
    }

    private static void AssertSentinels<T>(T[] array, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = array.Length - count; i < array.Length; i++)
            Assert.True(array[i] == T.CreateTruncating(12345.0), $"element {i} past the destination was written");
    }

    private static double ReferenceActivation(MlpActivation activation, double x) => activation switch
    {
        MlpActivation.Relu => x > 0 ? x : 0,
        MlpActivation.LeakyRelu => x > 0 ? x : 0.01 * x,
        MlpActivation.Tanh => Math.Tanh(x),
        MlpActivation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        MlpActivation.Gelu => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    private static double ReferenceDerivative(MlpActivation activation, double x)
    {
        switch (activation)
        {
            case MlpActivation.Relu:
                return x > 0 ? 1 : 0;
            case MlpActivation.LeakyRelu:
                return x > 0 ? 1 : 0.01;
            case MlpActivation.Tanh:
                double t = Math.Tanh(x);
                return 1 - t * t;
            case MlpActivation.Sigmoid:
                double s = 1 / (1 + Math.Exp(-x));
                return s * (1 - s);
            case MlpActivation.Gelu:
                // d/dx [x · Φ̃(x)] with Φ̃ = (1 + tanh u)/2, u = c (x + 0.044715 x³):
                // Φ̃(x) + x · (1 − tanh² u)/2 · c (1 + 3 · 0.044715 x²).
                double c = Math.Sqrt(2 / Math.PI);
                double u = c * (x + 0.044715 * x * x * x);
                double th = Math.Tanh(u);
                return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * c * (1 + 3 * 0.044715 * x * x);
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>A random CSR matrix (about half the entries stored; some rows empty) and its dense rows.</summary>
    private sealed class Csr
    {
        private readonly int[] _rowStart;
        private readonly int[] _indices;
        private readonly float[] _values;
        private readonly int _columns;

        private Csr(int[] rowStart, int[] indices, float[] values, int columns)
        {
            _rowStart = rowStart;
            _indices = indices;
            _values = values;
            _columns = columns;
        }

        public static Csr Create(Random random, int storedRows, int columns)
        {
            var rowStart = new int[storedRows + 1];
            var indices = new List<int>();
            var values = new List<float>();
            for (int r = 0; r < storedRows; r++)
            {
                bool empty = r % 4 == 3;
                for (int c = 0; c < columns && !empty; c++)
                {
                    if (random.NextDouble() < 0.5)
                    {
                        indices.Add(c);
                        values.Add((float)(4 * random.NextDouble() - 2));
                    }
                }
                rowStart[r + 1] = indices.Count;
            }
            return new Csr(rowStart, indices.ToArray(), values.ToArray(), columns);
        }

        public SparseRows View(int[] rowIds) => new(_rowStart, _indices, _values, rowIds);

        public double[] DenseRow(int id)
        {
            var row = new double[_columns];
            for (int t = _rowStart[id]; t < _rowStart[id + 1]; t++)
                row[_indices[t]] = _values[t];
            return row;
        }
    }
}
