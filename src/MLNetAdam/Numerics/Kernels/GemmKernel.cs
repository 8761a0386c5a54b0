using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>
/// Register-blocked single-precision matrix product <c>C (+)= A·B</c> for row-major A (m×k), B (k×n), C (m×n), with
/// Vector512, Vector256 and Vector128 paths and a scalar fallback chosen at run time. The other products the MLP
/// needs are this one after a transpose (see <see cref="Transpose"/>).
/// </summary>
/// <remarks>
/// The micro-kernel keeps a 6-row × 2-vector block of C in registers (4 rows, then 1, for the last rows) and streams one
/// row of B (two vector loads) and six broadcast elements of A per step of k, so each loaded value feeds several fused
/// multiply-adds. Blocks of C
/// columns are the outer loop, so the B panel they read (k × 2 vectors) stays in L2 while every row block of A passes
/// over it. Every element of C is accumulated over k in increasing order whatever the block it falls in, so the
/// result depends only on the shapes and the instruction set, never on alignment or on the thread count.
/// The loops are compiled fully optimized on first call (<c>AggressiveOptimization</c>): a small model's first
/// <c>Fit</c> in a fresh process would otherwise run them as unoptimized tier-0 code for much of its length (see the
/// bench's <c>coldstart</c> mode).
/// </remarks>
internal static class GemmKernel
{
    /// <summary>Rows of C in the main register block (<c>Block6x2</c>).</summary>
    private const int TallBlockRows = 6;

    /// <summary>Rows of C in the block for the rows the tall block leaves (<c>Block4x2</c>); below this many rows in all, the 1×8 path runs.</summary>
    private const int ShortBlockRows = 4;

    /// <summary>Which vector width the kernel uses on this machine (for benchmarks and logs).</summary>
    public static string InstructionSet =>
        Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";

    /// <summary>
    /// <c>C = A·B</c> (or <c>C += A·B</c> when <paramref name="accumulate"/>), columns <c>[columnStart, columnEnd)</c> of C only
    /// (so that threads can split the columns between them). A is m×k, B is k×n, C is m×n, all row-major and dense.
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate, int columnStart = 0, int columnEnd = -1)
    {
        if (columnEnd < 0)
            columnEnd = n;
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"Matrix spans are too short for {m}×{k} · {k}×{n} (have {a.Length}, {b.Length}, {c.Length}).");
        if ((uint)columnStart > (uint)columnEnd || columnEnd > n)
            throw new ArgumentOutOfRangeException(nameof(columnStart), $"Column range [{columnStart}, {columnEnd}) is outside [0, {n}].");
        if (m == 0 || columnStart == columnEnd)
            return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++)
                    c.Slice(i * n + columnStart, columnEnd - columnStart).Clear();
            return;
        }

        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float pc = ref MemoryMarshal.GetReference(c);
        if (Vector512.IsHardwareAccelerated)
            Run<V512, Vector512<float>>(ref pa, ref pb, ref pc, m, n, k, accumulate, columnStart, columnEnd);
        else if (Vector256.IsHardwareAccelerated)
            Run<V256, Vector256<float>>(ref pa, ref pb, ref pc, m, n, k, accumulate, columnStart, columnEnd);
        else if (Vector128.IsHardwareAccelerated)
            Run<V128, Vector128<float>>(ref pa, ref pb, ref pc, m, n, k, accumulate, columnStart, columnEnd);
        else
            Scalar(ref pa, ref pb, ref pc, m, n, k, accumulate, columnStart, columnEnd);
    }

    /// <summary>
    /// <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, int, int)"/> with the columns of C split between the threads of <paramref name="pool"/> (in blocks of
    /// two vectors, so every element is computed exactly as on one thread: the result does not depend on the thread count).
    /// </summary>
    public static unsafe void Multiply(WorkerPool? pool, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate, bool force = false)
    {
        if (pool is null || pool.Threads == 1 || (!force && (long)m * n * k < ParallelThreshold) || n < 2 * Width)
        {
            Multiply(a, b, c, m, n, k, accumulate);
            return;
        }
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"Matrix spans are too short for {m}×{k} · {k}×{n} (have {a.Length}, {b.Length}, {c.Length}).");
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = t_job ??= new MultiplyJob();
            job.Set(pa, pb, pc, m, n, k, accumulate);
            pool.Run(job, Chunks(pool, n));
        }
    }

    /// <summary>
    /// <c>C = bias + A·Wᵀ</c> for A (m×k) and W (n×k, a weight matrix stored [out][in]): each thread transposes its own
    /// range of W's rows into <paramref name="transposed"/> (k×n scratch), fills its columns of C with the bias and
    /// multiplies, so the transposed slice it reads is the one it just wrote (no cross-core traffic, no serial transpose).
    /// </summary>
    public static unsafe void MultiplyTransposed(
        WorkerPool? pool, ReadOnlySpan<float> a, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> transposed, Span<float> c, int m, int n, int k)
    {
        if (a.Length < (long)m * k || w.Length < (long)n * k || c.Length < (long)m * n || transposed.Length < (long)n * k || (!bias.IsEmpty && bias.Length < n))
            throw new ArgumentException($"Spans are too short for {m}×{k} · ({n}×{k})ᵀ.");
        fixed (float* pa = a, pw = w, pb = bias, pt = transposed, pc = c)
        {
            var job = t_transposedJob ??= new TransposedJob();
            job.Set(pa, pw, bias.IsEmpty ? null : pb, pt, pc, m, n, k);
            if (pool is null || pool.Threads == 1 || (long)m * n * k < ParallelThreshold || n < 2 * Width)
                job.Execute(0, 1);
            else
                pool.Run(job, Chunks(pool, n));
        }
    }

    [ThreadStatic]
    private static TransposedJob? t_transposedJob;

    private sealed unsafe class TransposedJob : IParallelJob
    {
        private float* _a, _w, _bias, _t, _c;
        private int _m, _n, _k;

        public void Set(float* a, float* w, float* bias, float* t, float* c, int m, int n, int k)
        {
            _a = a;
            _w = w;
            _bias = bias;
            _t = t;
            _c = c;
            (_m, _n, _k) = (m, n, k);
        }

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Range(_n, 2 * Width, part, parts);
            if (start >= end)
                return;
            // Wᵀ[p, j] = W[j, p] for this part's j; then C[i, j] = bias[j] for its columns; then C += A·Wᵀ.
            // Eight rows of W at a time, so each write fills eight consecutive floats of a row of Wᵀ.
            int j8 = start;
            for (; j8 + 8 <= end; j8 += 8)
            {
                float* r0 = _w + (long)j8 * _k;
                for (int p = 0; p < _k; p++)
                {
                    float* d = _t + (long)p * _n + j8;
                    float* s = r0 + p;
                    d[0] = s[0];
                    d[1] = s[_k];
                    d[2] = s[2 * _k];
                    d[3] = s[3 * _k];
                    d[4] = s[4 * _k];
                    d[5] = s[5 * _k];
                    d[6] = s[6 * _k];
                    d[7] = s[7 * _k];
                }
            }
            for (int j = j8; j < end; j++)
                for (int p = 0; p < _k; p++)
                    _t[(long)p * _n + j] = _w[(long)j * _k + p];
            for (int i = 0; i < _m; i++)
            {
                var cRow = new Span<float>(_c + (long)i * _n + start, end - start);
                if (_bias is null)
                    cRow.Clear();
                else
                    new ReadOnlySpan<float>(_bias + start, end - start).CopyTo(cRow);
            }
            Multiply(
                new ReadOnlySpan<float>(_a, _m * _k), new ReadOnlySpan<float>(_t, _k * _n), new Span<float>(_c, _m * _n),
                _m, _n, _k, accumulate: true, start, end);
        }
    }

    /// <summary>
    /// Below this many multiply-adds a product runs on the calling thread: handing it out would cost more than it saves.
    /// Set from the `threads` bench on the 2-core machine: a fork-join round trip costs about 1 µs (the caller starts at
    /// once; workers join as they wake); two threads take 0.97× the time of one at 262 k multiply-adds and 0.72× at 524 k.
    /// </summary>
    internal const long ParallelThreshold = 400_000;

    /// <summary>
    /// Column chunks of two vectors each, about four per thread (at most one per block): small enough that a thread
    /// descheduled by another process leaves little for the others to wait on, large enough to keep each B panel in cache.
    /// </summary>
    private static int Chunks(WorkerPool pool, int n) => Math.Max(1, Math.Min((n + 2 * Width - 1) / (2 * Width), 4 * pool.Threads));

    /// <summary>Floats per vector of the widest path in use.</summary>
    private static int Width =>
        Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256.IsHardwareAccelerated ? Vector256<float>.Count : Vector128.IsHardwareAccelerated ? Vector128<float>.Count : 1;

    [ThreadStatic]
    private static MultiplyJob? t_job;

    /// <summary>One product's operands, shared by the parts; each part computes its own range of columns.</summary>
    private sealed unsafe class MultiplyJob : IParallelJob
    {
        private float* _a, _b, _c;
        private int _m, _n, _k;
        private bool _accumulate;

        public void Set(float* a, float* b, float* c, int m, int n, int k, bool accumulate)
        {
            _a = a;
            _b = b;
            _c = c;
            (_m, _n, _k, _accumulate) = (m, n, k, accumulate);
        }

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Range(_n, 2 * Width, part, parts);
            if (start >= end)
                return;
            Multiply(
                new ReadOnlySpan<float>(_a, _m * _k), new ReadOnlySpan<float>(_b, _k * _n), new Span<float>(_c, _m * _n),
                _m, _n, _k, _accumulate, start, end);
        }
    }

    /// <summary>Writes the transpose of the rows×columns matrix <paramref name="source"/> into <paramref name="destination"/> (columns×rows).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns)
    {
        if (source.Length < (long)rows * columns || destination.Length < (long)rows * columns)
            throw new ArgumentException("Transpose spans are too short.");
        ref float src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        // 8-row strips: each destination row gets 8 consecutive values from 8 source rows read in step, so both sides
        // stay within a few cache lines.
        const int Strip = 8;
        int i = 0;
        for (; i + Strip <= rows; i += Strip)
        {
            ref float s0 = ref Unsafe.Add(ref src, i * columns);
            for (int j = 0; j < columns; j++)
            {
                ref float d = ref Unsafe.Add(ref dst, j * rows + i);
                ref float sj = ref Unsafe.Add(ref s0, j);
                d = sj;
                Unsafe.Add(ref d, 1) = Unsafe.Add(ref sj, columns);
                Unsafe.Add(ref d, 2) = Unsafe.Add(ref sj, 2 * columns);
                Unsafe.Add(ref d, 3) = Unsafe.Add(ref sj, 3 * columns);
                Unsafe.Add(ref d, 4) = Unsafe.Add(ref sj, 4 * columns);
                Unsafe.Add(ref d, 5) = Unsafe.Add(ref sj, 5 * columns);
                Unsafe.Add(ref d, 6) = Unsafe.Add(ref sj, 6 * columns);
                Unsafe.Add(ref d, 7) = Unsafe.Add(ref sj, 7 * columns);
            }
        }
        for (; i < rows; i++)
            for (int j = 0; j < columns; j++)
                Unsafe.Add(ref dst, j * rows + i) = Unsafe.Add(ref src, i * columns + j);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Run<TOps, TVec>(ref float a, ref float b, ref float c, int m, int n, int k, bool accumulate, int j0, int j1)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        int w = TOps.Width;
        int j = j0;
        // A few rows (one row being scored) would leave the 2-vector kernel waiting on its two FMA chains: eight
        // independent column vectors per row keep the FMA units busy instead.
        if (m < ShortBlockRows)
            for (; j + 8 * w <= j1; j += 8 * w)
                for (int i = 0; i < m; i++)
                    Block1x8<TOps, TVec>(ref a, ref b, ref c, n, k, i, j, accumulate);
        // Column blocks of two vectors, then one vector; the last columns (fewer than a vector) go scalar.
        for (; j + 2 * w <= j1; j += 2 * w)
        {
            int i = 0;
            for (; i + TallBlockRows <= m; i += TallBlockRows)
                Block6x2<TOps, TVec>(ref a, ref b, ref c, n, k, i, j, accumulate);
            for (; i + ShortBlockRows <= m; i += ShortBlockRows)
                Block4x2<TOps, TVec>(ref a, ref b, ref c, n, k, i, j, accumulate);
            for (; i < m; i++)
                Block1x2<TOps, TVec>(ref a, ref b, ref c, n, k, i, j, accumulate);
        }
        for (; j + w <= j1; j += w)
            for (int i = 0; i < m; i++)
                Block1x1<TOps, TVec>(ref a, ref b, ref c, n, k, i, j, accumulate);
        if (j < j1)
            Scalar(ref a, ref b, ref c, m, n, k, accumulate, j, j1);
    }

    // Six rows × two vectors: twelve accumulators, the most that leave registers for the two B vectors and a broadcast
    // on a 16-register machine; each step of k does 12 FMAs for 2 loads and 6 broadcasts.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block6x2<TOps, TVec>(ref float a, ref float b, ref float c, int n, int k, int i, int j, bool accumulate)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        int w = TOps.Width;
        ref float c0 = ref Unsafe.Add(ref c, i * n + j);
        ref float c1 = ref Unsafe.Add(ref c0, n);
        ref float c2 = ref Unsafe.Add(ref c1, n);
        ref float c3 = ref Unsafe.Add(ref c2, n);
        ref float c4 = ref Unsafe.Add(ref c3, n);
        ref float c5 = ref Unsafe.Add(ref c4, n);
        TVec s00, s01, s10, s11, s20, s21, s30, s31, s40, s41, s50, s51;
        if (accumulate)
        {
            s00 = TOps.Load(ref c0); s01 = TOps.Load(ref Unsafe.Add(ref c0, w));
            s10 = TOps.Load(ref c1); s11 = TOps.Load(ref Unsafe.Add(ref c1, w));
            s20 = TOps.Load(ref c2); s21 = TOps.Load(ref Unsafe.Add(ref c2, w));
            s30 = TOps.Load(ref c3); s31 = TOps.Load(ref Unsafe.Add(ref c3, w));
            s40 = TOps.Load(ref c4); s41 = TOps.Load(ref Unsafe.Add(ref c4, w));
            s50 = TOps.Load(ref c5); s51 = TOps.Load(ref Unsafe.Add(ref c5, w));
        }
        else
        {
            s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = s40 = s41 = s50 = s51 = TOps.Zero;
        }
        ref float a0 = ref Unsafe.Add(ref a, i * k);
        ref float a1 = ref Unsafe.Add(ref a0, k);
        ref float a2 = ref Unsafe.Add(ref a1, k);
        ref float a3 = ref Unsafe.Add(ref a2, k);
        ref float a4 = ref Unsafe.Add(ref a3, k);
        ref float a5 = ref Unsafe.Add(ref a4, k);
        ref float bp = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            TVec b0 = TOps.Load(ref bp);
            TVec b1 = TOps.Load(ref Unsafe.Add(ref bp, w));
            TVec x = TOps.Broadcast(Unsafe.Add(ref a0, p));
            s00 = TOps.MultiplyAdd(x, b0, s00);
            s01 = TOps.MultiplyAdd(x, b1, s01);
            x = TOps.Broadcast(Unsafe.Add(ref a1, p));
            s10 = TOps.MultiplyAdd(x, b0, s10);
            s11 = TOps.MultiplyAdd(x, b1, s11);
            x = TOps.Broadcast(Unsafe.Add(ref a2, p));
            s20 = TOps.MultiplyAdd(x, b0, s20);
            s21 = TOps.MultiplyAdd(x, b1, s21);
            x = TOps.Broadcast(Unsafe.Add(ref a3, p));
            s30 = TOps.MultiplyAdd(x, b0, s30);
            s31 = TOps.MultiplyAdd(x, b1, s31);
            x = TOps.Broadcast(Unsafe.Add(ref a4, p));
            s40 = TOps.MultiplyAdd(x, b0, s40);
            s41 = TOps.MultiplyAdd(x, b1, s41);
            x = TOps.Broadcast(Unsafe.Add(ref a5, p));
            s50 = TOps.MultiplyAdd(x, b0, s50);
            s51 = TOps.MultiplyAdd(x, b1, s51);
            bp = ref Unsafe.Add(ref bp, n);
        }
        TOps.Store(ref c0, s00); TOps.Store(ref Unsafe.Add(ref c0, w), s01);
        TOps.Store(ref c1, s10); TOps.Store(ref Unsafe.Add(ref c1, w), s11);
        TOps.Store(ref c2, s20); TOps.Store(ref Unsafe.Add(ref c2, w), s21);
        TOps.Store(ref c3, s30); TOps.Store(ref Unsafe.Add(ref c3, w), s31);
        TOps.Store(ref c4, s40); TOps.Store(ref Unsafe.Add(ref c4, w), s41);
        TOps.Store(ref c5, s50); TOps.Store(ref Unsafe.Add(ref c5, w), s51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x2<TOps, TVec>(ref float a, ref float b, ref float c, int n, int k, int i, int j, bool accumulate)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        int w = TOps.Width;
        ref float c0 = ref Unsafe.Add(ref c, i * n + j);
        ref float c1 = ref Unsafe.Add(ref c0, n);
        ref float c2 = ref Unsafe.Add(ref c1, n);
        ref float c3 = ref Unsafe.Add(ref c2, n);
        TVec s00, s01, s10, s11, s20, s21, s30, s31;
        if (accumulate)
        {
            s00 = TOps.Load(ref c0); s01 = TOps.Load(ref Unsafe.Add(ref c0, w));
            s10 = TOps.Load(ref c1); s11 = TOps.Load(ref Unsafe.Add(ref c1, w));
            s20 = TOps.Load(ref c2); s21 = TOps.Load(ref Unsafe.Add(ref c2, w));
            s30 = TOps.Load(ref c3); s31 = TOps.Load(ref Unsafe.Add(ref c3, w));
        }
        else
        {
            s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = TOps.Zero;
        }
        ref float a0 = ref Unsafe.Add(ref a, i * k);
        ref float a1 = ref Unsafe.Add(ref a0, k);
        ref float a2 = ref Unsafe.Add(ref a1, k);
        ref float a3 = ref Unsafe.Add(ref a2, k);
        ref float bp = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            TVec b0 = TOps.Load(ref bp);
            TVec b1 = TOps.Load(ref Unsafe.Add(ref bp, w));
            TVec x = TOps.Broadcast(Unsafe.Add(ref a0, p));
            s00 = TOps.MultiplyAdd(x, b0, s00);
            s01 = TOps.MultiplyAdd(x, b1, s01);
            x = TOps.Broadcast(Unsafe.Add(ref a1, p));
            s10 = TOps.MultiplyAdd(x, b0, s10);
            s11 = TOps.MultiplyAdd(x, b1, s11);
            x = TOps.Broadcast(Unsafe.Add(ref a2, p));
            s20 = TOps.MultiplyAdd(x, b0, s20);
            s21 = TOps.MultiplyAdd(x, b1, s21);
            x = TOps.Broadcast(Unsafe.Add(ref a3, p));
            s30 = TOps.MultiplyAdd(x, b0, s30);
            s31 = TOps.MultiplyAdd(x, b1, s31);
            bp = ref Unsafe.Add(ref bp, n);
        }
        TOps.Store(ref c0, s00); TOps.Store(ref Unsafe.Add(ref c0, w), s01);
        TOps.Store(ref c1, s10); TOps.Store(ref Unsafe.Add(ref c1, w), s11);
        TOps.Store(ref c2, s20); TOps.Store(ref Unsafe.Add(ref c2, w), s21);
        TOps.Store(ref c3, s30); TOps.Store(ref Unsafe.Add(ref c3, w), s31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x8<TOps, TVec>(ref float a, ref float b, ref float c, int n, int k, int i, int j, bool accumulate)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        int w = TOps.Width;
        ref float c0 = ref Unsafe.Add(ref c, i * n + j);
        TVec s0, s1, s2, s3, s4, s5, s6, s7;
        if (accumulate)
        {
            s0 = TOps.Load(ref c0); s1 = TOps.Load(ref Unsafe.Add(ref c0, w));
            s2 = TOps.Load(ref Unsafe.Add(ref c0, 2 * w)); s3 = TOps.Load(ref Unsafe.Add(ref c0, 3 * w));
            s4 = TOps.Load(ref Unsafe.Add(ref c0, 4 * w)); s5 = TOps.Load(ref Unsafe.Add(ref c0, 5 * w));
            s6 = TOps.Load(ref Unsafe.Add(ref c0, 6 * w)); s7 = TOps.Load(ref Unsafe.Add(ref c0, 7 * w));
        }
        else
        {
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = TOps.Zero;
        }
        ref float a0 = ref Unsafe.Add(ref a, i * k);
        ref float bp = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            TVec x = TOps.Broadcast(Unsafe.Add(ref a0, p));
            s0 = TOps.MultiplyAdd(x, TOps.Load(ref bp), s0);
            s1 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref bp, w)), s1);
            s2 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref bp, 2 * w)), s2);
            s3 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref bp, 3 * w)), s3);
            s4 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref bp, 4 * w)), s4);
            s5 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref bp, 5 * w)), s5);
            s6 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref bp, 6 * w)), s6);
            s7 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref bp, 7 * w)), s7);
            bp = ref Unsafe.Add(ref bp, n);
        }
        TOps.Store(ref c0, s0); TOps.Store(ref Unsafe.Add(ref c0, w), s1);
        TOps.Store(ref Unsafe.Add(ref c0, 2 * w), s2); TOps.Store(ref Unsafe.Add(ref c0, 3 * w), s3);
        TOps.Store(ref Unsafe.Add(ref c0, 4 * w), s4); TOps.Store(ref Unsafe.Add(ref c0, 5 * w), s5);
        TOps.Store(ref Unsafe.Add(ref c0, 6 * w), s6); TOps.Store(ref Unsafe.Add(ref c0, 7 * w), s7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x2<TOps, TVec>(ref float a, ref float b, ref float c, int n, int k, int i, int j, bool accumulate)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        int w = TOps.Width;
        ref float c0 = ref Unsafe.Add(ref c, i * n + j);
        TVec s0 = accumulate ? TOps.Load(ref c0) : TOps.Zero;
        TVec s1 = accumulate ? TOps.Load(ref Unsafe.Add(ref c0, w)) : TOps.Zero;
        ref float a0 = ref Unsafe.Add(ref a, i * k);
        ref float bp = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            TVec x = TOps.Broadcast(Unsafe.Add(ref a0, p));
            s0 = TOps.MultiplyAdd(x, TOps.Load(ref bp), s0);
            s1 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref bp, w)), s1);
            bp = ref Unsafe.Add(ref bp, n);
        }
        TOps.Store(ref c0, s0);
        TOps.Store(ref Unsafe.Add(ref c0, w), s1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x1<TOps, TVec>(ref float a, ref float b, ref float c, int n, int k, int i, int j, bool accumulate)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        ref float c0 = ref Unsafe.Add(ref c, i * n + j);
        TVec s0 = accumulate ? TOps.Load(ref c0) : TOps.Zero;
        ref float a0 = ref Unsafe.Add(ref a, i * k);
        ref float bp = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            s0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a0, p)), TOps.Load(ref bp), s0);
            bp = ref Unsafe.Add(ref bp, n);
        }
        TOps.Store(ref c0, s0);
    }

    // Reference order for the tail columns and machines without SIMD: the same increasing-k accumulation.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Scalar(ref float a, ref float b, ref float c, int m, int n, int k, bool accumulate, int j0, int j1)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = j0; j < j1; j++)
            {
                ref float cij = ref Unsafe.Add(ref c, i * n + j);
                float s = accumulate ? cij : 0f;
                for (int p = 0; p < k; p++)
                    s = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, i * k + p), Unsafe.Add(ref b, p * n + j), s);
                cij = s;
            }
        }
    }

    /// <summary>The vector operations the micro-kernel needs, for one vector width.</summary>
    private interface ISimd<TVec>
        where TVec : struct
    {
        static abstract int Width { get; }

        static abstract TVec Zero { get; }

        static abstract TVec Load(ref float source);

        static abstract void Store(ref float destination, TVec value);

        static abstract TVec Broadcast(float value);

        /// <summary><c>x·y + z</c>, fused where the hardware has FMA.</summary>
        static abstract TVec MultiplyAdd(TVec x, TVec y, TVec z);
    }

    private readonly struct V512 : ISimd<Vector512<float>>
    {
        public static int Width => Vector512<float>.Count;

        public static Vector512<float> Zero => Vector512<float>.Zero;

        public static Vector512<float> Load(ref float source) => Vector512.LoadUnsafe(ref source);

        public static void Store(ref float destination, Vector512<float> value) => value.StoreUnsafe(ref destination);

        public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

        public static Vector512<float> MultiplyAdd(Vector512<float> x, Vector512<float> y, Vector512<float> z) => Vector512.FusedMultiplyAdd(x, y, z);
    }

    private readonly struct V256 : ISimd<Vector256<float>>
    {
        public static int Width => Vector256<float>.Count;

        public static Vector256<float> Zero => Vector256<float>.Zero;

        public static Vector256<float> Load(ref float source) => Vector256.LoadUnsafe(ref source);

        public static void Store(ref float destination, Vector256<float> value) => value.StoreUnsafe(ref destination);

        public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

        // Without FMA hardware a software-fused multiply-add would be far slower than a multiply and an add.
        public static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> z) =>
            Fma.IsSupported ? Fma.MultiplyAdd(x, y, z) : x * y + z;
    }

    private readonly struct V128 : ISimd<Vector128<float>>
    {
        public static int Width => Vector128<float>.Count;

        public static Vector128<float> Zero => Vector128<float>.Zero;

        public static Vector128<float> Load(ref float source) => Vector128.LoadUnsafe(ref source);

        public static void Store(ref float destination, Vector128<float> value) => value.StoreUnsafe(ref destination);

        public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

        public static Vector128<float> MultiplyAdd(Vector128<float> x, Vector128<float> y, Vector128<float> z) =>
            Fma.IsSupported ? Fma.MultiplyAdd(x, y, z) : x * y + z;
    }
}
