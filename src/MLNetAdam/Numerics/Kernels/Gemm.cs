using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>
/// Row-major matrix products (float for training, double for gradient checks) used by the MLP: the forward product with a transposed
/// weight matrix, and the two backward products. Every routine is allocation-free. Float products with enough output
/// columns go to the register-blocked <see cref="GemmKernel"/> (after a transpose where an operand is stored the other
/// way); the rest, and all double products, run row loops of <see cref="TensorPrimitives"/> calls (SIMD with a scalar
/// tail inside the library).
/// </summary>
/// <remarks>
/// Every routine names its shapes as <see cref="GemmKernel"/> does: the result C is m×n and k is the inner (summed)
/// dimension. Reduction order depends only on the shapes, never on the alignment of the spans, so the same inputs give
/// the same bits on the same instruction set.
/// </remarks>
internal static class Gemm
{
    /// <summary>
    /// <c>c[i, j] = sum_k a[i, k] * b[j, k] + bias[j]</c>: <paramref name="a"/> is m×k, <paramref name="b"/> is n×k
    /// (a weight matrix stored [out][in]), <paramref name="c"/> is m×n. An empty <paramref name="bias"/> means zero.
    /// </summary>
    public static void MultiplyTransposedB<T>(
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int n, int k, WorkerPool? pool = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a.Length, m * k, b.Length, n * k, c.Length, m * n);
        bool hasBias = !bias.IsEmpty;
        if (typeof(T) == typeof(float) && n >= FastColumns && m > 1)
        {
            // Fast path: C = bias + A·(Bᵀ), each thread transposing the slice of B it then streams.
            GemmKernel.MultiplyTransposed(pool, MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(bias),
                Scratch(ref t_transposed, n * k), MemoryMarshal.Cast<T, float>(c), m, n, k);
            return;
        }
        // Rows of b are visited in blocks that stay in L1/L2 while every row of a passes over them.
        const int BlockRows = 16;
        for (int j0 = 0; j0 < n; j0 += BlockRows)
        {
            int j1 = Math.Min(n, j0 + BlockRows);
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<T> aRow = a.Slice(i * k, k);
                Span<T> cRow = c.Slice(i * n, n);
                for (int j = j0; j < j1; j++)
                {
                    T dot = TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
                    cRow[j] = hasBias ? dot + bias[j] : dot;
                }
            }
        }
    }

    /// <summary>
    /// <c>C = A·B</c>: <paramref name="a"/> is m×k, <paramref name="b"/> is k×n, <paramref name="c"/> (m×n) is
    /// overwritten. Used to push a layer's gradient back through its weights (<c>dA = dZ·W</c>).
    /// </summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, WorkerPool? pool = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a.Length, m * k, b.Length, k * n, c.Length, m * n);
        if (typeof(T) == typeof(float) && n >= FastColumns)
        {
            GemmKernel.Multiply(pool, MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(c), m, n, k, accumulate: false);
            return;
        }
        c.Slice(0, m * n).Clear();
        for (int i = 0; i < m; i++)
        {
            Span<T> cRow = c.Slice(i * n, n);
            ReadOnlySpan<T> aRow = a.Slice(i * k, k);
            for (int p = 0; p < k; p++)
            {
                T s = aRow[p];
                if (s != T.Zero)
                {
                    // c_i += s * b_p (fused multiply-add over the row).
                    TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), s, cRow, cRow);
                }
            }
        }
    }

    /// <summary>
    /// <c>C += Aᵀ·B</c>: <paramref name="a"/> is k×m, <paramref name="b"/> is k×n, <paramref name="c"/> (m×n) is
    /// accumulated into. This is a weight gradient <c>dZᵀ·X</c>, summed over the k rows of the batch.
    /// </summary>
    public static void AccumulateTransposedA<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, WorkerPool? pool = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a.Length, k * m, b.Length, k * n, c.Length, m * n);
        if (typeof(T) == typeof(float) && n >= FastColumns)
        {
            // Fast path: C += (Aᵀ)·B with Aᵀ (m×k, small: a batch of gradients) made in scratch.
            var transposed = Scratch(ref t_transposed, m * k);
            GemmKernel.Transpose(MemoryMarshal.Cast<T, float>(a), transposed, k, m);
            GemmKernel.Multiply(pool, transposed, MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(c), m, n, k, accumulate: true);
            return;
        }
        for (int p = 0; p < k; p++)
        {
            ReadOnlySpan<T> aRow = a.Slice(p * m, m);
            ReadOnlySpan<T> bRow = b.Slice(p * n, n);
            for (int i = 0; i < m; i++)
            {
                T s = aRow[i];
                if (s != T.Zero)
                {
                    Span<T> cRow = c.Slice(i * n, n);
                    TensorPrimitives.MultiplyAdd(bRow, s, cRow, cRow);
                }
            }
        }
    }

    /// <summary>
    /// Forward product for a sparse (CSR) left operand: <c>c[r, j] = sum over stored (col, v) of row r of v * w[j, col] + bias[j]</c>,
    /// where <paramref name="weights"/> is n×k stored [out][in]. Only the stored values are touched.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void SparseMultiplyTransposedB<T>(
        SparseRows rows, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> c, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = rows.Count;
        CheckShapes(0, 0, weights.Length, n * k, c.Length, m * n);
        // Output-major: one weight row (all k inputs of output j) stays in cache while every batch row gathers from it,
        // instead of every batch row touching every weight row.
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<T> wRow = weights.Slice(j * k, k);
            T b = bias.IsEmpty ? T.Zero : bias[j];
            for (int r = 0; r < m; r++)
            {
                rows.GetRow(r, out ReadOnlySpan<int> idx, out ReadOnlySpan<float> val);
                T s = T.Zero;
                for (int t = 0; t < idx.Length; t++)
                    s += T.CreateTruncating(val[t]) * wRow[idx[t]];
                c[r * n + j] = bias.IsEmpty ? s : s + b;
            }
        }
    }

    /// <summary>
    /// Weight gradient for a sparse (CSR) input, <c>C += Aᵀ·X</c>: <c>c[i, col] += sum_r a[r, i] * v</c> for each stored
    /// (col, v) of row r. <paramref name="a"/> is k×m (k = the number of rows), <paramref name="c"/> is m×n.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void SparseAccumulateTransposedA<T>(ReadOnlySpan<T> a, SparseRows rows, Span<T> c, int m, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = rows.Count;
        CheckShapes(a.Length, k * m, 0, 0, c.Length, m * n);
        // Output-major, as the forward product: gradient row i stays in cache while every batch row scatters into it.
        for (int i = 0; i < m; i++)
        {
            Span<T> cRow = c.Slice(i * n, n);
            for (int r = 0; r < k; r++)
            {
                T s = a[r * m + i];
                if (s == T.Zero)
                    continue;
                rows.GetRow(r, out ReadOnlySpan<int> idx, out ReadOnlySpan<float> val);
                for (int t = 0; t < idx.Length; t++)
                    cRow[idx[t]] += s * T.CreateTruncating(val[t]);
            }
        }
    }

    /// <summary>Below this many output columns the register-blocked kernel would run mostly its scalar tail.</summary>
    private const int FastColumns = 16;

    // Per-thread scratch for the transposed operand: grown to the largest shape once, then reused (no allocation per step).
    [ThreadStatic]
    private static float[]? t_transposed;

    private static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
            buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    private static void CheckShapes(int aLength, int aNeeded, int bLength, int bNeeded, int cLength, int cNeeded)
    {
        if (aLength < aNeeded || bLength < bNeeded || cLength < cNeeded)
            throw new ArgumentException($"Matrix spans are too short for the requested shape (need {aNeeded}/{bNeeded}/{cNeeded}, have {aLength}/{bLength}/{cLength}).");
    }
}
