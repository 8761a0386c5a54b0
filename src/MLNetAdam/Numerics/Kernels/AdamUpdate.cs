using System.Numerics;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>
/// The fused Adam/AdamW/AMSGrad update kernel (<c>MLNetAdam.Optimizers.AdamOptimizer</c> computes the coefficients
/// and owns the hyperparameters; this holds the arithmetic and the parallel job state, which belong to the run, not
/// to an options object).
/// </summary>
internal static class AdamUpdate
{
    /// <summary>Below this many parameters the update runs on the calling thread: handing it out would cost more.</summary>
    private const int ParallelLength = 1 << 15;

    // The job a thread hands to its pool; the caller blocks until the parts finish, so one per thread is enough.
    [ThreadStatic]
    private static UpdateJob? t_job;

    /// <summary>The step's scalars, all float as PyTorch applies them.</summary>
    internal struct Coefficients
    {
        public float Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, StepSize, Correction2Sqrt, Epsilon, CoupledDecay, Shrink;
    }

    /// <summary>
    /// Applies the update to <paramref name="w"/> with the moments <paramref name="m"/>, <paramref name="v"/> and the
    /// optional AMSGrad maximum <paramref name="vMax"/>, split between the threads of <paramref name="pool"/> in ranges of
    /// whole vectors (every element gets the same bits as on one thread).
    /// </summary>
    public static unsafe void Run(WorkerPool? pool, Span<float> w, ReadOnlySpan<float> g, float[] m, float[] v, float[]? vMax, in Coefficients k)
    {
        if (pool is null || pool.Threads == 1 || w.Length < ParallelLength)
        {
            Update(w, g, m, v, vMax, k);
            return;
        }
        fixed (float* pw = w, pg = g)
        {
            var job = t_job ??= new UpdateJob();
            job.Set(pw, pg, w.Length, m, v, vMax, k);
            pool.Run(job, 4 * pool.Threads);
        }
    }

    private sealed unsafe class UpdateJob : IParallelJob
    {
        private float* _w, _g;
        private int _n;
        private float[] _m = [], _v = [];
        private float[]? _vMax;
        private Coefficients _k;

        public void Set(float* w, float* g, int n, float[] m, float[] v, float[]? vMax, in Coefficients k)
        {
            _w = w;
            _g = g;
            (_n, _m, _v, _vMax, _k) = (n, m, v, vMax, k);
        }

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Range(_n, Vector<float>.Count, part, parts);
            int length = end - start;
            Update(new Span<float>(_w + start, length), new ReadOnlySpan<float>(_g + start, length), _m.AsSpan(start, length), _v.AsSpan(start, length),
                _vMax is null ? Span<float>.Empty : _vMax.AsSpan(start, length), _k);
        }
    }

    /// <summary>
    /// One fused pass over all elements: coupled decay, both moments, the AMSGrad maximum (when <paramref name="vMax"/>
    /// is not empty) and the update. Element-wise only, so the vector body and the scalar tail give the same bits for the same element.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vMax, in Coefficients k)
    {
        bool ams = !vMax.IsEmpty;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            var b1 = new Vector<float>(k.Beta1);
            var c1 = new Vector<float>(k.OneMinusBeta1);
            var b2 = new Vector<float>(k.Beta2);
            var c2 = new Vector<float>(k.OneMinusBeta2);
            var stepSize = new Vector<float>(k.StepSize);
            var corr2 = new Vector<float>(k.Correction2Sqrt);
            var eps = new Vector<float>(k.Epsilon);
            var decay = new Vector<float>(k.CoupledDecay);
            var shrink = new Vector<float>(k.Shrink);
            for (; i <= w.Length - width; i += width)
            {
                var wi = new Vector<float>(w.Slice(i, width));
                var gi = new Vector<float>(g.Slice(i, width)) + decay * wi;
                wi *= shrink;
                var mi = new Vector<float>(m.Slice(i, width)) * b1 + gi * c1;
                var vi = new Vector<float>(v.Slice(i, width)) * b2 + c2 * (gi * gi);
                mi.CopyTo(m.Slice(i, width));
                vi.CopyTo(v.Slice(i, width));
                if (ams)
                {
                    vi = Vector.Max(new Vector<float>(vMax.Slice(i, width)), vi);
                    vi.CopyTo(vMax.Slice(i, width));
                }
                var denom = Vector.SquareRoot(vi) / corr2 + eps;
                (wi - stepSize * (mi / denom)).CopyTo(w.Slice(i, width));
            }
        }
        for (; i < w.Length; i++)
        {
            float wi = w[i];
            float gi = g[i] + k.CoupledDecay * wi;
            wi *= k.Shrink;
            float mi = m[i] * k.Beta1 + gi * k.OneMinusBeta1;
            float vi = v[i] * k.Beta2 + k.OneMinusBeta2 * (gi * gi);
            m[i] = mi;
            v[i] = vi;
            if (ams)
            {
                vi = MathF.Max(vMax[i], vi);
                vMax[i] = vi;
            }
            float denom = MathF.Sqrt(vi) / k.Correction2Sqrt + k.Epsilon;
            w[i] = wi - k.StepSize * (mi / denom);
        }
    }
}
