using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MLNetAdam.Numerics;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>
/// Row-major matrix products (float for training, double for gradient checks) used by the MLP: the forward product with a transposed
/// weight matrix, and the two backward products. Every routine is allocation-free and reads its operands
/// along contiguous rows, so each inner loop is one <see cref="TensorPrimitives"/> call over a whole row
/// (SIMD with a scalar tail inside the library).
/// </summary>
/// <remarks>
/// Reduction order depends only on the shapes, never on the alignment of the spans, so the same inputs give
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
    /// <c>c[i, :] = sum_j a[i, j] * b[j, :]</c>: <paramref name="a"/> is m×n, <paramref name="b"/> is n×k,
    /// <paramref name="c"/> (m×k) is overwritten. Used to push a layer's gradient back through its weights.
    /// </summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, WorkerPool? pool = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a.Length, m * n, b.Length, n * k, c.Length, m * k);
        if (typeof(T) == typeof(float) && k >= FastColumns)
        {
            GemmKernel.Multiply(pool, MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(c), m, k, n, accumulate: false);
            return;
        }
        c.Slice(0, m * k).Clear();
        for (int i = 0; i < m; i++)
        {
            Span<T> cRow = c.Slice(i * k, k);
            ReadOnlySpan<T> aRow = a.Slice(i * n, n);
            for (int j = 0; j < n; j++)
            {
                T s = aRow[j];
                if (s != T.Zero)
                {
                    // c_i += s * b_j (fused multiply-add over the row).
                    TensorPrimitives.MultiplyAdd(b.Slice(j * k, k), s, cRow, cRow);
                }
            }
        }
    }

    /// <summary>
    /// <c>c[j, :] += sum_i a[i, j] * b[i, :]</c>: <paramref name="a"/> is m×n, <paramref name="b"/> is m×k,
    /// <paramref name="c"/> is n×k and is accumulated into. This is a weight gradient <c>dZᵀ·X</c>.
    /// </summary>
    public static void AccumulateTransposedA<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, WorkerPool? pool = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShapes(a.Length, m * n, b.Length, m * k, c.Length, n * k);
        if (typeof(T) == typeof(float) && k >= FastColumns)
        {
            // Fast path: C += (Aᵀ)·B with Aᵀ (n×m, small: a batch of gradients) made in scratch.
            var transposed = Scratch(ref t_transposed, m * n);
            GemmKernel.Transpose(MemoryMarshal.Cast<T, float>(a), transposed, m, n);
            GemmKernel.Multiply(pool, transposed, MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(c), n, k, m, accumulate: true);
            return;
        }
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<T> aRow = a.Slice(i * n, n);
            ReadOnlySpan<T> bRow = b.Slice(i * k, k);
            for (int j = 0; j < n; j++)
            {
                T s = aRow[j];
                if (s != T.Zero)
                {
                    Span<T> cRow = c.Slice(j * k, k);
                    TensorPrimitives.MultiplyAdd(bRow, s, cRow, cRow);
                }
            }
        }
    }

    /// <summary>
    /// Forward product for a sparse (CSR) left operand: <c>c[r, j] = sum over stored (col, v) of row r of v * w[j, col] + bias[j]</c>,
    /// where <paramref name="weights"/> is n×k stored [out][in]. Only the stored values are touched.
    /// </summary>
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
    /// Weight gradient for a sparse (CSR) input: <c>c[j, col] += sum_r a[r, j] * v</c> for each stored (col, v) of row r.
    /// <paramref name="a"/> is m×n, <paramref name="c"/> is n×k.
    /// </summary>
    public static void SparseAccumulateTransposedA<T>(ReadOnlySpan<T> a, SparseRows rows, Span<T> c, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = rows.Count;
        CheckShapes(a.Length, m * n, 0, 0, c.Length, n * k);
        // Output-major, as the forward product: gradient row j stays in cache while every batch row scatters into it.
        for (int j = 0; j < n; j++)
        {
            Span<T> cRow = c.Slice(j * k, k);
            for (int r = 0; r < m; r++)
            {
                T s = a[r * n + j];
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
